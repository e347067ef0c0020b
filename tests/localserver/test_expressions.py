"""Aggregation expressions, one per operator, each against the MongoDB manual's page of it."""

from datetime import datetime

import pytest
from bson import Decimal128, Int64, ObjectId, Regex
from pymongo.errors import OperationFailure

WHEN = datetime(2024, 3, 15, 13, 47, 12, 345000)  # a Friday, UTC


def test_type_tells_missing_from_null(value_of):
    assert value_of({"$type": "$nope"}) == "missing"
    assert value_of({"$type": "$n"}, n=None) == "null"


@pytest.mark.parametrize(("value", "name"), [
    (1, "int"), (Int64(1), "long"), (1.5, "double"), (Decimal128("1.5"), "decimal"), ("s", "string"),
    (True, "bool"), ({"a": 1}, "object"), ([1], "array"), (WHEN, "date"), (ObjectId(), "objectId"),
    (Regex("^a", "i"), "regex"),
])
def test_type_names_each_bson_type(value_of, value, name):
    assert value_of({"$type": "$x"}, x=value) == name


def test_get_field_reads_a_field_whose_name_has_a_dot_or_a_dollar(value_of):
    assert value_of({"$getField": "a.b"}, **{"a.b": 1, "a": {"b": 2}}) == 1
    assert value_of({"$getField": {"field": {"$literal": "$p"}, "input": "$sub"}}, sub={"$p": 3}) == 3


def test_get_field_on_missing_or_null_input_is_null_and_an_absent_field_is_missing(value_of):
    # Manual: "If input evaluates to missing, undefined, or null, $getField returns null";
    # a field absent from an object input is missing. Worth one check on a real mongod.
    assert value_of({"$getField": {"field": "a", "input": "$nope"}}) is None
    assert value_of({"$getField": {"field": "a", "input": "$n"}}, n=None) is None
    assert value_of({"$getField": {"field": "a", "input": "$sub"}}, sub={"b": 1}) == "absent"


def test_get_field_refuses_an_input_that_is_not_an_object(value_of):
    # Manual: any other input is an error. Only a real mongod can settle it: SERVER-94854 reports
    # that mongod gives missing instead.
    with pytest.raises(OperationFailure):
        value_of({"$getField": {"field": "a", "input": "$s"}}, s="text")


@pytest.mark.parametrize(("unit", "expected"), [
    ("year", datetime(2024, 1, 1)), ("quarter", datetime(2024, 1, 1)), ("month", datetime(2024, 3, 1)),
    ("week", datetime(2024, 3, 10)), ("day", datetime(2024, 3, 15)), ("hour", datetime(2024, 3, 15, 13)),
    ("minute", datetime(2024, 3, 15, 13, 47)), ("second", datetime(2024, 3, 15, 13, 47, 12)),
    ("millisecond", WHEN),
])
def test_date_trunc_each_unit_in_utc(value_of, unit, expected):
    assert value_of({"$dateTrunc": {"date": "$d", "unit": unit}}, d=WHEN) == expected


def test_date_trunc_week_starts_on_start_of_week(value_of):
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "week", "startOfWeek": "Monday"}}, d=WHEN) == datetime(2024, 3, 11)
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "week", "startOfWeek": "fri"}}, d=WHEN) == datetime(2024, 3, 15)


def test_date_trunc_in_a_time_zone_is_local_midnight_across_daylight_saving_time(value_of):
    # New York is UTC-5 until 2024-03-10, UTC-4 after; Kolkata is UTC+05:30.
    day = {"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "America/New_York"}}
    assert value_of(day, d=WHEN) == datetime(2024, 3, 15, 4)
    assert value_of(day, d=datetime(2024, 3, 1, 3)) == datetime(2024, 2, 29, 5)
    month = {"$dateTrunc": {"date": "$d", "unit": "month", "timezone": "America/New_York"}}
    assert value_of(month, d=WHEN) == datetime(2024, 3, 1, 5)
    hour = {"$dateTrunc": {"date": "$d", "unit": "hour", "timezone": "Asia/Kolkata"}}
    assert value_of(hour, d=WHEN) == datetime(2024, 3, 15, 13, 30)
    offset = {"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "+02:00"}}
    assert value_of(offset, d=datetime(2024, 3, 15, 23)) == datetime(2024, 3, 15, 22)


def test_date_trunc_bins_count_from_the_year_2000(value_of):
    # Manual: binSize periods start at the reference date 2000-01-01T00:00:00Z.
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "year", "binSize": 10}}, d=WHEN) == datetime(2020, 1, 1)
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "hour", "binSize": 6}}, d=WHEN) == datetime(2024, 3, 15, 12)
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "month", "binSize": 5}}, d=WHEN) == datetime(2024, 3, 1)


def test_date_trunc_of_null_or_missing_is_null(value_of):
    assert value_of({"$dateTrunc": {"date": "$nope", "unit": "day"}}) is None
    assert value_of({"$dateTrunc": {"date": "$d", "unit": "day", "timezone": "$nope"}}, d=WHEN) is None


def test_date_trunc_refuses_an_unknown_unit_or_time_zone(value_of):
    for spec in ({"unit": "fortnight"}, {"unit": "day", "timezone": "Mars/Olympus"}):
        with pytest.raises(OperationFailure):
            value_of({"$dateTrunc": {"date": "$d", **spec}}, d=WHEN)


def test_let_binds_variables_for_its_in_expression(value_of):
    assert value_of({"$let": {"vars": {"t": {"$add": ["$a", "$b"]}}, "in": {"$multiply": ["$$t", 2]}}}, a=1, b=2) == 6


def test_switch_takes_the_first_true_branch_or_the_default(value_of):
    spec = {"branches": [{"case": {"$lt": ["$n", 0]}, "then": "neg"}, {"case": {"$lt": ["$n", 10]}, "then": "small"}]}
    assert value_of({"$switch": spec}, n=3) == "small"
    assert value_of({"$switch": {**spec, "default": "big"}}, n=30) == "big"


def test_switch_without_a_matching_branch_and_default_is_an_error(value_of):
    with pytest.raises(OperationFailure) as failed:
        value_of({"$switch": {"branches": [{"case": False, "then": 1}]}})
    assert failed.value.code == 40066


def test_replace_all_replaces_every_occurrence_and_null_gives_null(value_of):
    assert value_of({"$replaceAll": {"input": "$s", "find": "o", "replacement": "0"}}, s="foo boo") == "f00 b00"
    assert value_of({"$replaceAll": {"input": "$nope", "find": "o", "replacement": "0"}}) is None


def test_round_is_half_to_even_and_keeps_integers_integral(value_of):
    assert value_of({"$round": ["$x", 0]}, x=2.5) == 2.0
    assert value_of({"$round": ["$x", 0]}, x=3.5) == 4.0
    assert value_of({"$round": ["$x", 1]}, x=1.25) == 1.2
    assert value_of({"$round": ["$x", -2]}, x=1250) == 1200
    assert isinstance(value_of({"$round": ["$x", -1]}, x=25), int)
    assert value_of({"$round": ["$x", 1]}, x=Decimal128("2.45")) == Decimal128("2.4")
    assert value_of({"$round": ["$nope", 1]}) is None


def test_regex_match_with_options_or_a_regex_value(value_of):
    assert value_of({"$regexMatch": {"input": "$s", "regex": "^jazz", "options": "i"}}, s="Jazz night") is True
    assert value_of({"$regexMatch": {"input": "$s", "regex": Regex("night$")}}, s="Jazz night") is True
    assert value_of({"$regexMatch": {"input": "$s", "regex": "rock"}}, s="Jazz night") is False
    assert value_of({"$regexMatch": {"input": "$nope", "regex": "x"}}) is False
