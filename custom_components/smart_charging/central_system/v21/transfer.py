"""Which energy transfer modes a transaction may use: the car's wish, the user's permission."""

from __future__ import annotations

from ..model import ConnectorState

BIDIRECTIONAL_SUFFIX = "_BPT"
# The one-way mode a bidirectional request falls back to when discharging is not allowed.
_ONE_WAY = {
    "AC_BPT": "AC_three_phase",
    "AC_BPT_DER": "AC_three_phase",
    "DC_BPT": "DC",
    "DC_ACDP_BPT": "DC_ACDP",
}


def is_bidirectional(mode: str) -> bool:
    """Whether a transfer mode lets the car discharge."""
    return mode.endswith(BIDIRECTIONAL_SUFFIX)


def allowed_transfer(connector: ConnectorState, discharge_allowed: bool) -> tuple[str, ...]:
    """The modes to allow on `connector`'s transaction, the car's requested mode first.

    Without permission: only the one-way modes the car offered, else the one-way
    counterpart of what it asked for.
    """
    requested = connector.ev_transfer_mode
    offered = [mode for mode in (requested, *connector.ev_transfer_modes) if mode]
    offered = list(dict.fromkeys(offered))
    if discharge_allowed:
        return tuple(offered)
    one_way = [mode for mode in offered if not is_bidirectional(mode)]
    if not one_way and requested:
        one_way = [_ONE_WAY.get(requested, "AC_three_phase")]
    return tuple(one_way)
