"""Money as integer fen (分): parsed from and shown as yuan with two decimals,
never through binary floats, so sums are exact however many entries there are."""

from decimal import Decimal, InvalidOperation

from mongoengine import IntField

from .errors import DomainError

FEN_PER_YUAN = 100


def parse_yuan(text, field: str = "amount_fen", allow_zero: bool = False) -> int:
    """'1,234.5' -> 123450 fen. Refuses signs, more than two decimals and nonsense."""
    cleaned = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    cleaned = cleaned.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if not cleaned:
        raise DomainError("请填写金额（元）。", field=field)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise DomainError(f"金额格式不正确：{text}（例如 1280.50）。", field=field) from exc
    if not amount.is_finite():
        raise DomainError(f"金额格式不正确：{text}（例如 1280.50）。", field=field)
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise DomainError("金额最多保留两位小数（精确到分）。", field=field)
    fen = int(amount * FEN_PER_YUAN)
    if fen < 0 or (fen == 0 and not allow_zero):
        raise DomainError("金额必须大于 0。", field=field)
    return fen


def format_yuan(fen: int | None, symbol: bool = True) -> str:
    """123450 -> '¥1,234.50'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{'¥' if symbol else ''}{yuan:,}.{cents:02d}"


def yuan_decimal(fen: int | None) -> Decimal | None:
    """Fen as an exact Decimal number of yuan (for spreadsheets)."""
    if fen is None:
        return None
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(Decimal("0.01"))


class FenField(IntField):
    """An amount of money stored as integer fen; shown and typed in yuan."""

    def __init__(self, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)
