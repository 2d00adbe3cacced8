"""The coded error: a refusal named by a locale key and the values filling it, readable in any language."""

from __future__ import annotations

from kam_metrics.i18n import t


class CodedError(Exception):
    """A refusal: ``code`` (after the class's locale key ``PREFIX``) and ``values`` fill its words; ``str()`` is
    the English message. A subclass words some values (a role, a field) by overriding ``worded``."""

    PREFIX = ""

    def __init__(self, code: str, **values: object) -> None:
        self.code, self.values = code, values
        super().__init__(self.message("en"))

    def worded(self, lang: str) -> dict[str, object]:
        """The values as the message shows them in ``lang``."""
        return dict(self.values)

    def message(self, lang: str) -> str:
        """The refusal in ``lang``."""
        return t(self.PREFIX + self.code, lang, **self.worded(lang))
