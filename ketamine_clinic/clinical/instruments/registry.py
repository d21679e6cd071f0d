"""Every instrument the product ships, by id."""

from __future__ import annotations

from .base import Instrument
from .cadss6 import CADSS6
from .cssrs import CSSRS_SCREENER
from .gad7 import GAD7
from .madrs import MADRS
from .moaas import MOAAS
from .pcl5 import PCL5
from .phq9 import PHQ9
from .qids_sr16 import QIDS_SR16

INSTRUMENTS: dict[str, Instrument] = {
    instrument.id: instrument
    for instrument in (PHQ9, GAD7, PCL5, QIDS_SR16, CSSRS_SCREENER, MADRS, CADSS6, MOAAS)
}


def get_instrument(instrument_id: str) -> Instrument:
    """Return the instrument with this id (KeyError naming the known ids otherwise)."""
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise KeyError(f"Unknown instrument {instrument_id!r}; known: {known}.") from None
