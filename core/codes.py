"""Make valid codes (for demo data and tests): resident ID numbers and credit codes."""

import datetime

from core.validators import USCC_CHARSET, id_number_check_char, uscc_check_char


def make_id_number(*, division: str, birth_date: datetime.date, gender: str, sequence: int) -> str:
    """An ID number for someone born on ``birth_date`` registered in ``division``.

    ``sequence`` (0–499) picks the order code; its last digit is made odd for men, even for women.
    """
    order = (sequence % 500) * 2 + (1 if gender == "M" else 0)
    first17 = f"{division}{birth_date:%Y%m%d}{order:03d}"
    return first17 + id_number_check_char(first17)


def make_credit_code(*, division: str, sequence: int, authority: str = "9", kind: str = "1") -> str:
    """A unified social credit code for an enterprise registered in ``division``.

    The nine-character organisation code is derived from ``sequence`` in the code's alphabet.
    """
    body, n = [], sequence
    for _ in range(9):
        n, r = divmod(n, len(USCC_CHARSET))
        body.append(USCC_CHARSET[r])
    first17 = f"{authority}{kind}{division}{''.join(reversed(body))}"
    return first17 + uscc_check_char(first17)
