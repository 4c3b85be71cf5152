"""The SIMULATED LLM's follow-up drafts for a lead, by channel, language and DISG type.

Templates, no model (the lead's facts as :mod:`lead_rules` reads them):

=================  ===============================================================
channel            draft
=================  ===============================================================
WhatsApp, SMS      at most 320 characters: the first name, informal ("Hey Lea! 👋"
(and any other)    for DISG I, plainer for D/S/G), one line from the notes, a line in
                   the DISG tone
E-Mail (also       "Hallo Lea Kramer," / "Dear Lea Kramer," / "Gentile Lea Kramer,",
without channel)   2-3 sentences (the last contact date, the notes, the DISG tone), a
                   sign-off
Telefon            a call script of 2-3 sentences: the opening line with the first
                   name, the topic from the notes, a cue in the DISG tone
=================  ===============================================================

DISG tones: D brief and direct (asks for the next step), I warm with emoji, S calm and
reassuring (no pressure), G precise with facts (status, last contact). Every draft ends
with `` — [simulated draft · <channel>]``. A subject exists for E-Mail only: the topic the
notes or status name (offer, demo, appointment, contract, price; else the enquiry)
then an en dash and "nächste Schritte" / "next steps" / "prossimi passi".
Languages: de, en, it.
"""

from __future__ import annotations

from typing import Final

from ringbook_simulators.responses.lead_rules import Lead

SHORT_LIMIT: Final = 320
_EN_DASH: Final = "\u2013"  # written out: ruff takes the character for a hyphen
_NOTE_LIMIT: Final = 120

_HELLO: Final = {"de": "Hallo", "en": "Hi", "it": "Ciao"}
_DEAR: Final = {"de": "Hallo", "en": "Dear", "it": "Gentile"}
_SIGN_OFF: Final = {"de": "Viele Grüße", "en": "Best regards", "it": "Cordiali saluti"}
_SHORT_NOTE: Final = {"de": "Kurz zu unserem letzten Austausch: {note}.",
                      "en": "Quick follow-up on: {note}.", "it": "Un breve seguito su: {note}."}
_SHORT_PLAIN: Final = {"de": "Ich wollte mich kurz bei dir melden.",
                       "en": "Just checking in.", "it": "Volevo solo sentirti."}
_SHORT_TONE: Final = {
    "D": {"de": "Passt dir ein kurzer Call diese Woche?",
          "en": "Does a quick call this week work for you?",
          "it": "Ti va una breve chiamata questa settimana?"},
    "I": {"de": "Ich freu mich, von dir zu hören! 😊", "en": "Can't wait to hear from you! 😊",
          "it": "Non vedo l'ora di sentirti! 😊"},
    "S": {"de": "Ganz in Ruhe, melde dich einfach, wenn es dir passt.",
          "en": "No rush, just reply whenever it suits you.",
          "it": "Con calma, rispondimi quando ti è comodo."},
    "G": {"de": "Status: {status}, letzter Kontakt: {last}. Soll ich dir die Details schicken?",
          "en": "Status: {status}, last contact: {last}. Shall I send you the details?",
          "it": "Stato: {status}, ultimo contatto: {last}. Ti mando i dettagli?"},
    "": {"de": "Melde dich gern, wenn du Fragen hast.",
         "en": "Let me know if you have any questions.",
         "it": "Fammi sapere se hai domande."},
}
_MAIL_OPEN: Final = {
    "de": ("Ich melde mich im Anschluss an unseren Kontakt vom {last}.",
           "Ich melde mich im Anschluss an Ihre Anfrage."),
    "en": ("I am following up on our conversation of {last}.",
           "I am following up on your enquiry."),
    "it": ("Le scrivo in seguito al nostro contatto del {last}.",
           "Le scrivo in seguito alla sua richiesta."),
}
_MAIL_NOTE: Final = {"de": "Notiert habe ich: {note}.", "en": "My notes say: {note}.",
                     "it": "Ho annotato: {note}."}
_MAIL_TONE: Final = {
    "D": {"de": "Können wir diese Woche kurz telefonieren?",
          "en": "Can we talk briefly this week?",
          "it": "Possiamo sentirci brevemente questa settimana?"},
    "I": {"de": "Ich freue mich sehr auf Ihre Rückmeldung! 😊",
          "en": "I would love to hear what you think! 😊",
          "it": "Sarei felice di sentire cosa ne pensa! 😊"},
    "S": {"de": "Lassen Sie sich gern Zeit, ich bin da, wenn Sie Fragen haben.",
          "en": "Take your time, I am here whenever you have questions.",
          "it": "Si prenda il tempo necessario, sono a disposizione per ogni domanda."},
    "G": {"de": "Gern schicke ich Ihnen alle Details und Zahlen dazu (Status: {status}).",
          "en": "I am happy to send you all details and figures (status: {status}).",
          "it": "Le invio volentieri tutti i dettagli e i numeri (stato: {status})."},
    "": {"de": "Ich freue mich auf Ihre Rückmeldung.",
         "en": "I look forward to hearing from you.",
         "it": "Attendo un suo riscontro."},
}
_CALL_OPEN: Final = {
    "de": ("{hello}, ich rufe wegen unseres Kontakts vom {last} an.",
           "{hello}, ich rufe wegen Ihrer Anfrage an."),
    "en": ("{hello}, I am calling about our conversation of {last}.",
           "{hello}, I am calling about your enquiry."),
    "it": ("{hello}, la chiamo per il nostro contatto del {last}.",
           "{hello}, la chiamo per la sua richiesta."),
}
_CALL_NOTE: Final = {"de": "Thema: {note}.", "en": "Topic: {note}.", "it": "Argomento: {note}."}
_CALL_TONE: Final = {
    "D": {"de": "Direkt fragen: Machen wir den nächsten Schritt fest?",
          "en": "Ask directly: shall we fix the next step?",
          "it": "Chiedere subito: fissiamo il prossimo passo?"},
    "I": {"de": "Herzlich einsteigen und Begeisterung teilen 😊",
          "en": "Open warmly and share the excitement 😊",
          "it": "Iniziare con calore e condividere l'entusiasmo 😊"},
    "S": {"de": "Ruhig erklären und Sicherheit geben: kein Zeitdruck.",
          "en": "Explain calmly and reassure: no time pressure.",
          "it": "Spiegare con calma e rassicurare: nessuna fretta."},
    "G": {"de": "Fakten bereithalten: Status {status}, letzter Kontakt {last}.",
          "en": "Have the facts ready: status {status}, last contact {last}.",
          "it": "Tenere pronti i fatti: stato {status}, ultimo contatto {last}."},
    "": {"de": "Nach dem nächsten Schritt fragen.", "en": "Ask about the next step.",
         "it": "Chiedere il prossimo passo."},
}
_TOPICS: Final = (
    (("angebot", "offer", "quote", "offert", "preventiv"),
     {"de": "Ihr Angebot", "en": "Your offer", "it": "La sua offerta"}),
    (("demo",), {"de": "Ihre Demo", "en": "Your demo", "it": "La sua demo"}),
    (("termin", "appointment", "meeting", "appuntament"),
     {"de": "Ihr Termin", "en": "Your appointment", "it": "Il suo appuntamento"}),
    (("vertrag", "contract", "contratt"),
     {"de": "Ihr Vertrag", "en": "Your contract", "it": "Il suo contratto"}),
    (("preis", "price", "pricing", "prezz"),
     {"de": "Ihre Preisanfrage", "en": "Your pricing question",
      "it": "La sua domanda sui prezzi"}),
)
_ENQUIRY: Final = {"de": "Ihre Anfrage", "en": "Your enquiry", "it": "La sua richiesta"}
_NEXT_STEPS: Final = {"de": "nächste Schritte", "en": "next steps", "it": "prossimi passi"}
_UNKNOWN: Final = {"de": "unbekannt", "en": "unknown", "it": "sconosciuto"}


def label(channel: str) -> str:
    return f" — [simulated draft · {channel}]"


def _date(lead: Lead) -> str | None:
    if lead.last_contact is None:
        return None
    # German and Italian readers write the day first.
    return (lead.last_contact.isoformat() if lead.language == "en"
            else lead.last_contact.strftime("%d.%m.%Y"))


def _note(lead: Lead) -> str | None:
    if not lead.notes:
        return None
    line = lead.notes.splitlines()[0].strip()
    return line if len(line) <= _NOTE_LIMIT else line[:_NOTE_LIMIT - 1].rstrip() + "…"


def _tone(table: dict[str, dict[str, str]], lead: Lead) -> str:
    tone = table[lead.disg or ""][lead.language]
    return tone.format(status=lead.status or _UNKNOWN[lead.language],
                       last=_date(lead) or _UNKNOWN[lead.language])


def _greet(word: str, name: str | None) -> str:
    return f"{word} {name}," if name else f"{word},"


def _short(lead: Lead, channel: str) -> str:
    greeting = (f"Hey {lead.first_name}! 👋" if lead.first_name else "Hey! 👋"
                ) if lead.disg == "I" else _greet(_HELLO[lead.language], lead.first_name)
    note = _note(lead)
    middle = (_SHORT_NOTE[lead.language].format(note=note) if note
              else _SHORT_PLAIN[lead.language])
    if greeting.endswith(","):  # a sentence after a comma goes on in lower case
        middle = middle[:1].lower() + middle[1:]
    text, tail = f"{greeting} {middle} {_tone(_SHORT_TONE, lead)}", label(channel)
    if len(text) + len(tail) > SHORT_LIMIT:  # a long name or status: cut, keep the label
        text = text[:SHORT_LIMIT - len(tail) - 1].rstrip() + "…"
    return text + tail


def _mail(lead: Lead, channel: str) -> str:
    last, note = _date(lead), _note(lead)
    with_date, without = _MAIL_OPEN[lead.language]
    sentences = [with_date.format(last=last) if last else without]
    if note:
        sentences.append(_MAIL_NOTE[lead.language].format(note=note))
    sentences.append(_tone(_MAIL_TONE, lead))
    return (f"{_greet(_DEAR[lead.language], lead.name)}\n\n{' '.join(sentences)}\n\n"
            f"{_SIGN_OFF[lead.language]}{label(channel)}")


def _call(lead: Lead, channel: str) -> str:
    last, note = _date(lead), _note(lead)
    hello = f"{_HELLO[lead.language]} {lead.first_name}" if lead.first_name else (
        _HELLO[lead.language])
    with_date, without = _CALL_OPEN[lead.language]
    sentences = [(with_date if last else without).format(hello=hello, last=last)]
    if note:
        sentences.append(_CALL_NOTE[lead.language].format(note=note))
    sentences.append(_tone(_CALL_TONE, lead))
    return " ".join(sentences) + label(channel)


def draft(lead: Lead) -> str:
    channel = lead.channel or "E-Mail"  # no channel named: the one every lead has
    if channel == "E-Mail":
        return _mail(lead, channel)
    if channel == "Telefon":
        return _call(lead, channel)
    return _short(lead, channel)


def subject(lead: Lead) -> str | None:
    """A subject for an e-mail; other channels have none."""
    if (lead.channel or "E-Mail") != "E-Mail":
        return None
    about = f"{lead.notes or ''} {lead.status or ''}".lower()
    topic = next((names[lead.language] for words, names in _TOPICS
                  if any(w in about for w in words)), _ENQUIRY[lead.language])
    return f"{topic} {_EN_DASH} {_NEXT_STEPS[lead.language]}"
