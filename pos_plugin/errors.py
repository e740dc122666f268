"""The plugin's one error type: the API's stable code and sentence, or a local one.

Local codes (``LOCAL_ERRORS``) are met at the register only; the cashier panel shows
every error as its code plus the sentence saying what to do.
"""

from __future__ import annotations

from pos_plugin.i18n import ENGLISH, N_, gettext, language

LOCAL_ERRORS: dict[str, str] = {
    "api_unreachable": N_("The rewards service cannot be reached. Finish the sale as usual: "
                          "the shopper's points are saved on this register and sent when the "
                          "connection is back."),
    "offline_redeem_refused": N_("Rewards cannot be redeemed while the register is offline, "
                                 "because points cannot be checked. Finish the sale; its points "
                                 "are saved and sent later."),
    "no_basket": N_("There is no basket yet: ring up the items on the till first, then scan "
                    "the shopper's code."),
    "no_code_in_image": N_("No checkout code was found in the picture; hold the phone closer "
                           "and steadier, or type the phone number instead."),
    "wrong_step": N_("That does not fit this step of the sale; use the highlighted button or "
                     "cancel and start again."),
}


class RewardsError(Exception):
    """An error answered by the API (``code`` from its registry) or met locally."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None,
                 *, params: dict[str, object] | None = None) -> None:
        # ``message``: an English literal (``make i18n`` extracts it) whose ``%(name)s``
        # placeholders ``params`` fill after translation, or the API's own sentence.
        self.code = code
        self.message = message or LOCAL_ERRORS.get(code, code)
        self.params = params
        self.status = status
        super().__init__(f"{code}: {self._filled(self.message)}")

    def _filled(self, message: str) -> str:
        return message % self.params if self.params else message

    def as_dict(self) -> dict[str, str]:
        """The error as the panel and the bridge answer it, its sentence in the register's
        language: the catalog's translation, else (a sentence not translated yet) the
        local code's, else the API's own (the API answers in the store's language)."""
        message = gettext(self.message)
        if message == self.message and self.code in LOCAL_ERRORS and language() != ENGLISH:
            return {"code": self.code, "message": gettext(LOCAL_ERRORS[self.code])}
        return {"code": self.code, "message": self._filled(message)}


class Unreachable(RewardsError):
    """The API did not answer (network down, timeouts) after every retry."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("api_unreachable")
        self.detail = detail
