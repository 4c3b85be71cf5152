"""A SIMULATED telephone carrier that plays Twilio for Ringbook's tests and demos.

It serves the Calls subset of Twilio's REST API, posts signed status callbacks and
plays the Twilio side of Media Streams over a websocket, so our real Twilio adapter
(the official SDK) can run end to end without a Twilio account. ``POST
/simulate/incoming-call`` (simulator-only) rings one of our numbers like a caller would. Run it with
``python -m ringbook_simulators.carrier``; see ``scenarios`` for the dialled numbers
that select busy / no-answer / failed outcomes.
"""

from ringbook_simulators.carrier.rest_api import create_carrier_app
from ringbook_simulators.carrier.scenarios import Scenario, scenario_for
from ringbook_simulators.carrier.settings import CarrierSettings

__all__ = ["CarrierSettings", "Scenario", "create_carrier_app", "scenario_for"]
