#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Test PKI for the agents' peer channel (tests/unit/test_peer_channel.cpp), in libvirt's
# layout under OUT/good and OUT/rogue:
#   good   CA "cluster", server cert for localhost/127.0.0.1, client cert, both from it
#   rogue  the same files, but server and client certs from another CA ("rogue"); its
#          cacert.pem is the cluster's, so a rogue host trusts the cluster's server
# EC P-256 keys (fast), valid two days. Usage: make-pki.sh OUT
set -eu
out=$1
mkdir -p "$out"
cd "$out"
ca() {   # NAME
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.pem" \
        -days 2 -subj "/CN=$1 CA" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {   # CA NAME CN EKU SAN
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$2.key" -out "$2.csr" \
        -subj "/CN=$3" 2>/dev/null
    printf 'subjectAltName=%s\nextendedKeyUsage=%s\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' \
        "$5" "$4" > "$2.ext"
    openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" -CAcreateserial -out "$2.pem" -days 2 \
        -extfile "$2.ext" 2>/dev/null
}
layout() {   # DIR SERVER CLIENT
    mkdir -p "$1/etc/pki/CA" "$1/etc/pki/libvirt/private"
    cp cluster.pem "$1/etc/pki/CA/cacert.pem"
    cp "$2.pem" "$1/etc/pki/libvirt/servercert.pem"
    cp "$2.key" "$1/etc/pki/libvirt/private/serverkey.pem"
    cp "$3.pem" "$1/etc/pki/libvirt/clientcert.pem"
    cp "$3.key" "$1/etc/pki/libvirt/private/clientkey.pem"
}
ca cluster
ca rogue
leaf cluster server localhost serverAuth "DNS:localhost,IP:127.0.0.1"
leaf cluster client hosta clientAuth "DNS:hosta"
leaf rogue rserver localhost serverAuth "DNS:localhost,IP:127.0.0.1"
leaf rogue rclient intruder clientAuth "DNS:intruder"
layout good server client
layout rogue rserver rclient
