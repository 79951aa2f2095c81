"""Schemathesis against the service's own OpenAPI document, as an anonymous caller, a candidate and an
admin: over a thousand generated requests each, valid and invalid, and not one server error; every
response's status, content type and body match what the document says."""

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUESTS_PER_ROLE = 1000


@pytest.mark.parametrize("role", ["anonymous", "candidate", "admin"])
def test_generated_requests_get_no_server_error_and_match_the_document(app, bank, make_user, make_session,
                                                                       sit_exam, auth_headers, role):
    # Something to find: a session with a closed attempt and a certificate, and one in progress.
    candidate = make_user("candidate")
    sit_exam(candidate, make_session([candidate]).id)
    other = make_user("candidate")
    make_session([other])
    headers = {} if role == "anonymous" else auth_headers(candidate if role == "candidate" else make_user("admin"))

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    examples = -(-REQUESTS_PER_ROLE // len(operations))  # twice the share: small inputs run out early
    sent = []

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case):
                response = case.call(headers=headers)
                sent.append(response.status_code)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                call()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # an operation without input has no invalid one
    print(f"{role}: {len(sent)} requests, statuses {sorted(Counter(sent).items())}")
    assert len(sent) >= REQUESTS_PER_ROLE, len(sent)
    assert not [status for status in sent if status >= 500]
