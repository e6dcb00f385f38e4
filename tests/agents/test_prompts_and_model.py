import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_openai import ChatOpenAI

from agents.drafting import TEMPLATE_MODE_LABEL, Drafter, chat_model_from_settings
from core.errors import NotFoundError, ValidationFailed
from core.settings import Settings
from prompts import all_prompts, load_prompt

VARS = {
    "student": "<PERSON_1>",
    "course": "BIOL 101",
    "reasons": ["no activity for 9 days", "2 missing assignments"],
    "advisor": "<PERSON_2>",
}


def test_every_prompt_parses_and_renders_its_fallback_with_its_declared_inputs():
    prompts = all_prompts()
    assert {p.name for p in prompts} >= {"outreach_draft", "grade_anomaly_explain"}
    for prompt in prompts:
        variables = {name: f"<{name}>" if name not in ("reasons", "facts") else ["x"]
                     for name in prompt.inputs}
        for part in ("system", "user", "fallback"):
            assert prompt.render(part, variables)


def test_load_by_name_and_version():
    assert load_prompt("outreach_draft").ref == "outreach_draft@1"
    assert load_prompt("outreach_draft@1").version == 1
    with pytest.raises(NotFoundError, match="outreach_draft@9"):
        load_prompt("outreach_draft@9")


def test_missing_input_is_a_clear_error():
    with pytest.raises(ValidationFailed, match=r"outreach_draft@1 needs inputs \['advisor'\]"):
        load_prompt("outreach_draft").render("fallback", {k: v for k, v in VARS.items()
                                                          if k != "advisor"})


def test_template_mode_says_so_in_every_draft():
    draft = Drafter(None).draft("outreach_draft", VARS)
    assert draft.template_mode
    assert draft.text.startswith(TEMPLATE_MODE_LABEL)
    assert "<PERSON_1>" in draft.text and "2 missing assignments" in draft.text


def test_model_mode_sends_rendered_prompt_and_keeps_placeholders():
    model = GenericFakeChatModel(messages=iter([AIMessage("Hi <PERSON_1>, let's meet.")]))
    draft = Drafter(model, "scripted").draft("outreach_draft", VARS)
    assert draft.text == "Hi <PERSON_1>, let's meet."
    assert draft.model == "scripted" and not draft.template_mode


def test_model_factory_template_mode_and_openai(monkeypatch):
    assert chat_model_from_settings(Settings(model="")) is None
    model = chat_model_from_settings(
        Settings(model="gpt-test", openai_base_url="http://127.0.0.1:9/v1",
                 openai_api_key="sk-test")
    )
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "gpt-test"
    assert str(model.openai_api_base) == "http://127.0.0.1:9/v1"
