-- Business hours are event-sourced now (the business_hours aggregate, projected into
-- business_hours by 0003): the internal table they replace goes. Its rows were set
-- through the internal API only, by no caller but tests, so nothing is carried over.

drop table business_hours_overrides;
