"""``make psql-analytics``'s command, run for real: the embedded wheel's psql, as the
analysts' role, in a schema migrated by the service. A view answers; a table is
refused; nothing the role cannot read leaks through the cost view either."""

from __future__ import annotations

import subprocess
import uuid

from analytics_service.testing import CallFlow, publish
from call_log_harness import CALL_LOG_NOW, CallLogService
from ringbook.contracts.calls import ModelUsage
from ringbook_devtools.analyst_psql import analyst_command

USAGE = ModelUsage(model="gpt-realtime", input_audio_tokens=2000, output_audio_tokens=1000)


def psql(call_log: CallLogService, sql: str) -> subprocess.CompletedProcess[str]:
    settings = call_log.runtime.settings
    command, env = analyst_command(settings.database_url, settings.schema_name,
                                   ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


async def test_the_analyst_reads_the_views_and_no_table(call_log: CallLogService) -> None:
    tenant = uuid.uuid4()
    call = CallFlow(tenant, CALL_LOG_NOW, call_log.clock)
    await publish(call_log.js, call.started(), call.conversation_completed(usage=USAGE))
    await call_log.wait_call(tenant, call.id, lambda c: c["cost"], "the call priced")

    who = psql(call_log, "select current_user")
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == "ringbook_analyst"
    counted = psql(call_log, f"select count(*) from call_log where tenant_id = '{tenant}'")
    assert (counted.returncode, counted.stdout.strip()) == (0, "1"), counted.stderr
    cost = psql(call_log, f"select billed_minutes from cost where tenant_id = '{tenant}'")
    assert (cost.returncode, cost.stdout.strip()) == (0, "1"), cost.stderr
    for table in ("calls", "api_keys", "events", "analysis_jobs"):
        refused = psql(call_log, f"select count(*) from {table}")
        assert refused.returncode != 0
        assert "permission denied" in refused.stderr, refused.stderr
