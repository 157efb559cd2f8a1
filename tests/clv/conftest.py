"""The CDNOW sample as in the papers, shared by the model tests."""
import pytest

from cem.clv import read_cdnow, rfm
from conftest import ROOT

CDNOW = ROOT / "data" / "external" / "cdnow"


@pytest.fixture(scope="package")
def cdnow():
    """The CDNOW sample as in the papers: calibration to 1997-09-30 (39 weeks), time in weeks."""
    tx = read_cdnow(CDNOW / "CDNOW_sample.txt")
    return tx, rfm(tx, end="1997-09-30", unit="W")


@pytest.fixture
def rounded():
    """Parameters rounded to the published digits."""
    return lambda params, digits: {k: round(float(v), digits[k]) for k, v in params.items()}
