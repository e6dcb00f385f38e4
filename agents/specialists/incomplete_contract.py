"""The incomplete contract: drafted after the instructor's extension, routed chair → registrar.

When the instructor of record answers the incompletes question with an extension
(``extend_to`` and the ``work_remaining``), the incomplete becomes a contract with the student:

1. ``gather`` (in the instructor's node): reads of the section (course, title, department), the
   student (name, Banner ID) and the section's instructors, through the guard like any read;
2. ``draft``: the versioned template ``incomplete_contract@1`` filled from those redacted
   results, checked (a missing or empty variable ends the run before anything is stored or
   sent), re-identified only here, rendered to PDF and kept sealed in the contract store; the
   state holds its id and SHA-256, never its text;
3. ``chair``: the graph's own approval for the chair of the course's department (the request
   shows the hash and the link to the PDF); a rejection ends the run and marks the contract;
4. the Banner write (``banner_resolve_incomplete`` with the extension), which the guard holds
   for a **registrar**, whose request links the same contract;
5. ``extend``: once Banner holds the I, the Canvas access extension and the student's copy of
   the contract, both through the guard; then ``close`` records the outcome.

Each node re-run on resume first rebuilds the same request (ids come from the thread and the
registration), and the store keeps a contract once by id, so re-runs change nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from langgraph.config import get_config
from langgraph.types import interrupt

from agents.specialists.calls import compose, finish, results
from agents.toolbox import ToolContext
from agents.toolbox.contracts import Contract, ContractStatus
from core.clock import utcnow
from core.errors import ValidationFailed
from policies.approvals import (
    ActionRequest,
    ApprovalRequest,
    Approve,
    Approver,
    Requester,
    describe,
    parse_decision,
    refusal_of_approver,
    request_id,
)
from policies.scope import Subject
from prompts.document_templates import load_document
from tools.documents import render_pdf, sha256_of

TEMPLATE = "incomplete_contract@1"
ACTION = "banner_resolve_incomplete"
_SECTION, _STUDENT, _TEACHERS = "contract:section", "contract:student", "contract:instructors"


def contract_link(approval_id: str) -> str:
    """Where the approvals API serves the PDF of a request's contract."""
    return f"/api/approvals/{approval_id}/contract"


def _thread() -> str | None:
    value = (get_config().get("configurable") or {}).get("thread_id")
    return str(value) if value is not None else None


def gather(reg: dict[str, Any]) -> list[Any]:
    """The reads the contract is filled from (the instructor's node composes them)."""
    section = {"term": reg["term"], "crn": reg["crn"]}
    return [
        compose("banner_get_section", section, _SECTION),
        compose("banner_get_person", {"pidm": reg["pidm"]}, _STUDENT),
        compose("banner_get_instructors", section, _TEACHERS),
    ]


def _variables(state: dict[str, Any]) -> dict[str, object]:
    """The template's variables from the redacted reads (pseudonyms stay until rendering)."""
    reg, terms = state["registration"], state["terms"]
    found = results(state["messages"], [_SECTION, _STUDENT, _TEACHERS])
    failed = [k for k in (_SECTION, _STUDENT, _TEACHERS) if k not in found or not found[k].ok]
    if failed:
        raise ValidationFailed(f"the contract's facts could not be read ({', '.join(failed)})")
    section, student = found[_SECTION].data, found[_STUDENT].data
    primary = next((i for i in found[_TEACHERS].data if i.get("primary")), None)
    instructor = " ".join(
        str(primary.get(k)) for k in ("first_name", "last_name") if primary and primary.get(k)
    )
    return {
        "student": " ".join(str(student[k]) for k in ("first_name", "last_name") if student.get(k)),
        "banner_id": student.get("banner_id") or "",
        "subject": section.get("subject") or "",
        "number": section.get("course_number") or "",
        "title": section.get("title") or "",
        "crn": reg["crn"],
        "term": reg["term"],
        "department": section.get("department") or "",
        "instructor": instructor,
        "work_remaining": terms["work_remaining"],
        "deadline": date.fromisoformat(terms["extend_to"]).strftime("%B %d, %Y"),
        "default_grade": reg.get("default_grade") or "",
    }


def draft(state: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    """Render, seal and keep the contract; the state gets its id, hash and department."""
    if state.get("outcome") or "terms" not in state:
        return {}
    reg, terms = state["registration"], state["terms"]
    template = load_document(TEMPLATE)
    try:
        store = ctx.contract_store()
        values = _variables(state)
        text = ctx.vault.reidentify(template.render(values))
        pdf = render_pdf(template.title, text, datetime.fromisoformat(terms["answered_at"]))
    except ValidationFailed as exc:
        return finish("needs_person", f"no contract was made: {exc}")
    contract = Contract(
        id=request_id(_thread(), f"contract:{reg['term']}:{reg['crn']}:{reg['pidm']}"),
        term=reg["term"], crn=reg["crn"], pidm=int(reg["pidm"]), template=template.ref,
        sha256=sha256_of(pdf), pdf=pdf, text=text,
    )  # fmt: skip
    store.keep(contract)
    return {
        "contract": {
            "id": contract.id, "sha256": contract.sha256, "template": template.ref,
            "department": str(values["department"]),
        }
    }  # fmt: skip


def chair(state: dict[str, Any], ctx: ToolContext, ttl: timedelta) -> dict[str, Any]:
    """The department chair's approval; on approve, the registrar-held Banner write."""
    if state.get("outcome") or "contract" not in state:
        return {}
    reg, terms, contract = state["registration"], state["terms"], state["contract"]
    args = {
        "term": reg["term"], "crn": reg["crn"], "pidm": reg["pidm"], "grade": None,
        "extend_to": terms["extend_to"], "work_remaining": terms["work_remaining"],
        "contract": contract["id"],
    }  # fmt: skip
    subject = {"student": reg["pidm"], "term": reg["term"], "crn": reg["crn"]}
    approval = request_id(_thread(), f"chair:{reg['term']}:{reg['crn']}:{reg['pidm']}")
    now = utcnow()
    request = ApprovalRequest(
        id=approval,
        action_request=ActionRequest(action=ACTION, args=args),
        description=describe(
            ACTION,
            {"term": reg["term"], "crn": reg["crn"], "extend_to": terms["extend_to"]},
            f"The instructor of record proposes an incomplete until {terms['extend_to']}. "
            f"Read the contract ({contract['template']}, SHA-256 `{contract['sha256']}`) at "
            f"{contract_link(approval)} and approve it for the department; a registrar "
            "approves it next, before Banner changes.",
            [f"contract sha256: {contract['sha256']}", f"contract: {contract_link(approval)}"],
        ),
        allowed_responses=["approve", "reject", "comment"],
        approver=Approver.DEPARTMENT_CHAIR,
        requested_by=Requester.of(ctx.principal),
        subject=subject | {"department": contract["department"]},
        thread_id=_thread(),
        created_at=now,
        expires_at=now + ttl,
    )
    answer = interrupt(request.model_dump(mode="json"))
    store = ctx.contract_store()
    try:
        decision = parse_decision(answer)
    except ValidationFailed as exc:
        store.set_status(contract["id"], ContractStatus.REJECTED)
        return finish("rejected", f"the chair's answer was refused: {exc}")
    refusal = refusal_of_approver(
        request.approver, decision.by, request.requested_by,
        Subject(
            student=reg["pidm"], term=reg["term"], crn=reg["crn"],
            department=contract["department"],
        ),
        ctx.directory,
    )  # fmt: skip
    if refusal or not isinstance(decision, Approve):
        store.set_status(contract["id"], ContractStatus.REJECTED)
        said = refusal or getattr(decision, "reason", "") or getattr(decision, "text", "")
        return finish("rejected", f"the chair did not approve the contract: {said or 'no reason'}")
    why = f"The department chair ({decision.by.actor}) approved contract {contract['sha256']}."
    return {"messages": [compose(ACTION, args, f"resolve:{reg['crn']}", why)]}


def extend(state: dict[str, Any], ctx: ToolContext, banner_data: dict[str, Any]) -> dict[str, Any]:
    """Banner holds the I: the contract is active; extend Canvas access and send the copy."""
    reg, contract = state["registration"], state["contract"]
    ctx.contract_store().set_status(contract["id"], ContractStatus.ACTIVE)
    student = {"term": reg["term"], "crn": reg["crn"], "pidm": reg["pidm"]}
    until = banner_data["incomplete_ext_date"]
    return {
        "messages": [
            compose("canvas_extend_access", student | {"until": until}, "contract:access"),
            compose(
                "canvas_send_contract", student | {"contract": contract["id"]}, "contract:mail"
            ),
        ]
    }


def close(state: dict[str, Any]) -> dict[str, Any]:
    """The outcome once Banner, Canvas and the student's inbox were asked."""
    if state.get("outcome"):
        return {}
    found = results(state["messages"], ["contract:access", "contract:mail"])
    failed = [k.split(":")[1] for k in ("contract:access", "contract:mail") if not (
        k in found and found[k].ok
    )]  # fmt: skip
    sha = state["contract"]["sha256"]
    if failed:
        return finish(
            "needs_person",
            f"Banner holds the incomplete (contract {sha}), but Canvas {' and '.join(failed)}"
            " failed: a person must finish it.",
        )
    return finish(
        "done",
        f"Banner holds the I until {state['terms']['extend_to']}; Canvas access is extended and"
        f" the student has contract {sha}.",
        {"contracts": 1},
    )


def answered_terms(args: dict[str, Any]) -> dict[str, Any]:
    """The instructor's extension as the contract needs it (when they answered, for its date)."""
    return {
        "extend_to": str(args["extend_to"]),
        "work_remaining": str(args["work_remaining"]).strip(),
        "answered_at": utcnow().isoformat(),
    }
