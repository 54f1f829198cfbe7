# SPDX-License-Identifier: LGPL-2.1-or-later
"""iscsi-lvm end-to-end lab: image builder, iSCSI target, qemu guests.

Python 3 stdlib only.  Entry point for scenarios: `from lab import Lab`.
"""

from .lab import Lab  # noqa: F401
from .guest import Guest, GuestCommandError  # noqa: F401
from .target import GIB, Target, TargetSpec  # noqa: F401
from .util import LabError, StepTimer, log  # noqa: F401
