// SPDX-License-Identifier: LGPL-2.1-or-later
// dm-multipath for pools with several portals (issue 19): one map per LUN, named by its WWID
// on every host, queueing I/O while no path is left just as long as a single session would
// (iscsi/session_timeouts.hpp multipath_queueing_for). host-setup writes a drop-in with those
// settings when multipath-tools is installed (multipath-tools 0.9 reads
// /etc/multipath/conf.d/*.conf after /etc/multipath.conf, a later setting winning), and
// enables multipathd; host-validate checks both. Without multipath-tools a host serves
// single-portal pools only, which need none of it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cli/hostprep/host_root.hpp"
#include "cli/hostprep/host_validate.hpp"
#include "common/command.hpp"
#include "common/system.hpp"

namespace ilvm::cli {

inline constexpr const char *kMultipathDropIn = "/etc/multipath/conf.d/iscsi-lvm.conf";
inline constexpr const char *kMultipathd = "multipathd";
inline constexpr const char *kComponentDetection = "multipath_component_detection";

// The multipathd binary under the root (/sbin/multipathd or /usr/sbin/multipathd, Debian's
// multipath-tools installs the first through the /sbin → /usr/sbin link), or nullopt when
// multipath-tools is not installed.
std::optional<std::string> multipathd_binary(System &sys, const HostRoot &root);

// The drop-in host-setup writes (mode 0644): defaults user_friendly_names no, find_multipaths
// strict, polling_interval P; overrides no_path_retry N, with P and N from
// multipath_queueing_for(kSanlockIoTimeout), and a header saying who writes it and why.
std::string multipath_drop_in();

// The value of `key` in a multipath.conf section ("defaults", "overrides") of `text`, the
// last one when it is set twice (multipath reads them in order); nullopt when it is not set.
// Comments ('#' or '!') and the quotes around a value are dropped.
std::optional<std::string> multipath_conf_value(std::string_view text, std::string_view section, std::string_view key);

// `multipathd reconfigure`: a running multipathd reads its configuration again.
Command multipathd_reconfigure();

// host-validate's "multipath" check: passes with a note when multipath-tools is not installed;
// else the drop-in with the values above, multipathd active and lvm.conf's
// devices/multipath_component_detection not 0 (with 0, LVM takes a map's paths for PVs too).
HostCheck multipath_check(System &sys, const HostRoot &root);

}  // namespace ilvm::cli
