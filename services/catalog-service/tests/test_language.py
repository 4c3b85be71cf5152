"""A text's Postgres text search configuration: its language's when Postgres has one and
the detector is sure, ``simple`` otherwise; the model loads on first use, not at import."""

from __future__ import annotations

import subprocess
import sys

import asyncpg
import pytest
from catalog_service.domain.language import CONFIGURATIONS, search_config
from ringbook_devtools.testing.infra import ServerSet

SAMPLES = {
    "german": "Unsere Praxis ist montags bis freitags von acht bis achtzehn Uhr geöffnet. "
              "Termine vereinbaren Sie bitte telefonisch oder über unsere Webseite.",
    "english": "Our practice is open Monday to Friday from eight in the morning to six in the "
               "evening. Please book your appointment by phone or on our website.",
    "italian": "Il nostro studio è aperto dal lunedì al venerdì dalle otto alle diciotto. "
               "Si prega di prenotare un appuntamento per telefono.",
    "french": "Notre cabinet est ouvert du lundi au vendredi de huit heures à dix-huit heures. "
              "Prenez rendez-vous par téléphone ou sur notre site.",
    "spanish": "Nuestra consulta está abierta de lunes a viernes de ocho a seis de la tarde. "
               "Reserve su cita por teléfono o en nuestra página web.",
    "dutch": "Onze praktijk is van maandag tot en met vrijdag geopend van acht tot zes uur. "
             "Maak telefonisch of via onze website een afspraak.",
    "portuguese": "O nosso consultório está aberto de segunda a sexta-feira, das oito às "
                  "dezoito horas. Marque a sua consulta por telefone ou no nosso site.",
}


@pytest.mark.parametrize(("config", "text"), SAMPLES.items())
def test_languages_postgres_stems(config: str, text: str) -> None:
    assert search_config(text) == config


def test_a_long_document_is_judged_by_samples_of_it() -> None:
    document = (SAMPLES["german"] + "\n\n") * 5000  # ~800,000 characters
    assert search_config(document) == "german"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "OK danke",  # too few letters to say
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15",
        # Polish: detected, but Postgres ships no Polish configuration.
        "Nasz gabinet jest otwarty od poniedziałku do piątku od ósmej do osiemnastej. "
        "Prosimy o rezerwację telefoniczną.",
        # Japanese: likewise.
        "当院は月曜日から金曜日まで午前八時から午後六時まで診療しております。ご予約はお電話でお願いいたします。",
    ],
)
def test_unsure_or_unsupported_is_simple(text: str) -> None:
    assert search_config(text) == "simple"


async def test_every_answer_is_a_configuration_of_postgres(infra: ServerSet) -> None:
    conn = await asyncpg.connect(infra.database_url)
    try:
        shipped = {r["cfgname"] for r in await conn.fetch("select cfgname from pg_ts_config")}
        # And each really stems: the search will call it exactly so.
        for config in set(CONFIGURATIONS.values()):
            assert await conn.fetchval("select to_tsvector($1::regconfig, 'Hallo')", config)
    finally:
        await conn.close()
    assert set(CONFIGURATIONS.values()) | {"simple"} <= shipped


def test_the_model_is_not_loaded_at_import() -> None:
    probe = ("import sys, catalog_service.domain.language as language; "
             "print('py3langid' in sys.modules, language._model.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.split() == ["False", "0"]
