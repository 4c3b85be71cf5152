"""Field types of the request bodies, each with its bounds and the domain's rule, so a
bad value is a 422 naming its field. Shared by the create bodies (POST) and the change
bodies (PUT: every field optional; a field that may not be empty may not be null)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from ringbook.contracts.catalog import AnalysisField

from catalog_service.domain.assistants import analysis_field_set, language_tag
from catalog_service.domain.business_hours import iana_zone, weekly_hours_text
from catalog_service.domain.numbers import e164
from catalog_service.domain.tools import headers, parameters_schema, tool_name

Text = Annotated[str, Field(max_length=2000)]
LongText = Annotated[str, Field(max_length=20000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(min_length=1, max_length=100)]
JsonObject = dict[str, Any]
Language = Annotated[str, AfterValidator(language_tag)]
AnalysisFields = Annotated[list[AnalysisField], AfterValidator(analysis_field_set)]
PhoneNumber = Annotated[str, Field(max_length=64), AfterValidator(e164)]
ToolName = Annotated[str, AfterValidator(tool_name)]
Endpoint = Annotated[str, Field(min_length=1, max_length=2048)]
Parameters = Annotated[dict[str, Any], AfterValidator(parameters_schema)]
Headers = Annotated[dict[str, str], AfterValidator(headers)]
WeeklyHours = Annotated[str, AfterValidator(weekly_hours_text)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(iana_zone)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


def refuse_null(value: Any) -> Any:
    """For a change body's field that every stored state has a value for: omitting it
    keeps the value, null is refused (use as ``field_validator(...)(refuse_null)``)."""
    if value is None:
        raise ValueError("may not be null")
    return value


class Body(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    def changes(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        """The fields the client sent (what a PUT changes)."""
        return self.model_dump(exclude_unset=True, exclude=exclude)
