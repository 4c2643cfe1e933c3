"""The policy template's one filler: where a placeholder may stand, how its value is escaped there, and the
template mistakes it refuses."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from components.policy_template import PolicyTemplateError, fill_placeholders, subscription_condition


def test_none_removes_the_attribute_and_missing_values_are_errors():
    root = ET.fromstring('<a x="${one}" y="${two}" z="keep" />')
    assert fill_placeholders(root, {"one": "1", "two": None}) == {"one", "two"}
    assert root.attrib == {"x": "1", "z": "keep"}
    with pytest.raises(PolicyTemplateError, match=r"\$\{one\} has no value"):
        fill_placeholders(ET.fromstring('<a x="${one}" />'), {})
    with pytest.raises(PolicyTemplateError, match="whole attribute value"):
        fill_placeholders(ET.fromstring('<a x="prefix-${one}" />'), {"one": "1"})


def test_a_value_in_a_refusal_body_stays_inside_its_json_string():
    # A value in an attribute is only XML-escaped; one in a <set-body>'s JSON is JSON-escaped first, so a quote or a
    # backslash cannot end the message's string and add JSON of its own.
    root = ET.fromstring('<a x="${v}"><set-body>{"message": "at ${v}"}</set-body></a>')
    fill_placeholders(root, {"v": 'x", "code": "\\'})
    assert root.get("x") == 'x", "code": "\\'
    body = root.find("set-body")
    assert body is not None and json.loads(body.text or "") == {"message": 'at x", "code": "\\'}
    assert "&quot;" in ET.tostring(root, encoding="unicode")  # and XML-escaped on output, in the attribute


def test_a_placeholder_in_other_text_or_without_a_value_in_a_body_is_an_error():
    with pytest.raises(PolicyTemplateError, match="belongs in a <set-body>"):
        fill_placeholders(ET.fromstring("<a><value>${v}</value></a>"), {"v": "1"})
    with pytest.raises(PolicyTemplateError, match=r"\$\{v\} has no value"):
        fill_placeholders(ET.fromstring("<set-body>${v}</set-body>"), {"v": None})


def test_a_condition_names_plain_subscription_ids_only():
    assert subscription_condition(["student-01", "b"]) == (
        '@(context.Subscription.Id == "student-01" || context.Subscription.Id == "b")'
    )
    for bad in ['x" || true || "', "Student", "", "a" * 81]:
        with pytest.raises(ValueError, match="subscription id the policy can name"):
            subscription_condition(["ok", bad])
