"""The real client check: what RankLab exports loads in `datasets` and trains in TRL as it is."""

import os

import pytest

from exports.formats import SCHEMA_VERSION
from exports.models import Export
from exports.services import export_write
from exports.tests.chat_data import TURNS, chat_project
from exports.tests.ranked import rank_all
from exports.tests.strength_data import strength_project

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} </s> {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|> {% endif %}"
)


def offline_tokenizer(texts):
    """A word-level tokenizer built from the exported text itself: no hub access."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = sorted({word for text in texts for word in text.split()})
    vocab = {token: index for index, token in enumerate([*SPECIALS, *words])}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_config(tokenizer, **extra):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **extra,
    )


def export_files(project, formats) -> dict[str, str]:
    """Each format written as an export file, `trl` with margins."""
    files = {}
    for format in formats:
        export = Export.objects.create(
            project=project, format=format, options={"margin": format == "trl"}, schema_version=SCHEMA_VERSION
        )
        export_write(export_id=export.id)
        export.refresh_from_db()
        files[format] = export.file.path
    return files


def dpo_trained(pairs, tokenizer, tmp_path, *, steps: int) -> int:
    """Train TRL's DPOTrainer on exported `trl` pairs for `steps` steps; the steps it took."""
    from transformers import LlamaForCausalLM
    from trl import DPOConfig, DPOTrainer

    return (
        DPOTrainer(
            model=LlamaForCausalLM(tiny_config(tokenizer)),
            ref_model=LlamaForCausalLM(tiny_config(tokenizer)),
            args=DPOConfig(output_dir=str(tmp_path / "dpo"), **{**COMMON, "max_steps": steps}),
            train_dataset=pairs.remove_columns(["margin"]),
            processing_class=tokenizer,
        )
        .train()
        .global_step
    )


COMMON = {
    "max_steps": 2,
    "per_device_train_batch_size": 2,
    "report_to": "none",
    "use_cpu": True,
    "save_strategy": "no",
}


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))


@pytest.fixture
def exported(project, lead, settings, tmp_path):
    """A project ranked end to end by two trainers, exported in every format."""
    settings.MEDIA_ROOT = tmp_path
    project.overlap = 2
    project.save(update_fields=["overlap"])
    rank_all(project, comparisons=6, trainers=2)
    return export_files(project, ("native", "trl", "hh", "openai_dpo", "sft"))


def test_every_format_loads_with_datasets_and_trl_trains_two_steps(exported, tmp_path, offline):
    from datasets import load_dataset

    loaded = {format: load_dataset("json", data_files=path, split="train") for format, path in exported.items()}
    assert loaded["native"].num_rows == 6
    assert loaded["trl"].num_rows == 6 * 5
    assert loaded["hh"].num_rows == loaded["openai_dpo"].num_rows == 30
    assert loaded["sft"].num_rows == 6
    assert {"prompt", "chosen", "rejected", "margin"} <= set(loaded["trl"].column_names)

    from transformers import LlamaForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    tokenizer = offline_tokenizer(
        message["content"] for row in loaded["trl"] for key in ("prompt", "chosen", "rejected") for message in row[key]
    )
    reward = RewardTrainer(
        model=LlamaForSequenceClassification(tiny_config(tokenizer, num_labels=1)),
        args=RewardConfig(output_dir=str(tmp_path / "reward"), **COMMON),
        train_dataset=loaded["trl"],
        processing_class=tokenizer,
    ).train()
    assert reward.global_step == 2

    assert dpo_trained(loaded["trl"], tokenizer, tmp_path, steps=2) == 2
    assert os.path.exists(exported["trl"])


@pytest.fixture
def chat_exported(project, settings, tmp_path):
    """The chat conversation of exports/tests/chat_data.py in each format made for chat."""
    settings.MEDIA_ROOT = tmp_path
    chat_project(project)
    return export_files(project, ("trl", "sft", "kto", "prompt_only", "tree"))


def test_chat_formats_load_with_datasets_and_train_dpo_and_kto(chat_exported, tmp_path, offline):
    from datasets import load_dataset

    loaded = {format: load_dataset("json", data_files=path, split="train") for format, path in chat_exported.items()}
    assert loaded["trl"].num_rows == 13
    assert sorted(set(loaded["trl"]["provenance"])) == ["demonstration", "sampled"]
    assert loaded["sft"].num_rows == 3
    assert loaded["kto"].num_rows == 12 and sum(loaded["kto"]["label"]) == 4
    assert loaded["prompt_only"].num_rows == 4
    [tree] = loaded["tree"]
    assert tree["prompt"]["replies"][0]["text"] == TURNS["1"][0]
    assert tree["prompt"]["replies"][0]["replies"][0]["replies"][1]["text"] == TURNS["2b"][0]

    from transformers import LlamaForCausalLM
    from trl import KTOConfig, KTOTrainer

    tokenizer = offline_tokenizer(
        message["content"]
        for format, keys in (("trl", ("prompt", "chosen", "rejected")), ("kto", ("prompt", "completion")))
        for row in loaded[format]
        for key in keys
        for message in row[key]
    )
    assert dpo_trained(loaded["trl"], tokenizer, tmp_path, steps=1) == 1

    kto = KTOTrainer(
        model=LlamaForCausalLM(tiny_config(tokenizer)),
        ref_model=LlamaForCausalLM(tiny_config(tokenizer)),
        args=KTOConfig(output_dir=str(tmp_path / "kto"), **{**COMMON, "max_steps": 1}),
        train_dataset=loaded["kto"],
        processing_class=tokenizer,
    ).train()
    assert kto.global_step == 1


@pytest.fixture
def strength_exported(project, settings, tmp_path):
    """The worked example of preference strength (exports/tests/strength_data.py) as a `trl` file with margins."""
    settings.MEDIA_ROOT = tmp_path
    strength_project(project)
    return export_files(project, ("trl",))["trl"]


def test_strength_margins_load_with_datasets_and_the_reward_trainer_takes_a_step_on_them(
    strength_exported, tmp_path, offline
):
    from datasets import load_dataset

    pairs = load_dataset("json", data_files=strength_exported, split="train")
    assert pairs.num_rows == 6
    assert pairs["margin"] == [1.5, 2.0, 5.0, 1.0, 3.5, 3.0]

    from transformers import LlamaForSequenceClassification
    from trl import RewardConfig, RewardTrainer

    tokenizer = offline_tokenizer(
        message["content"] for row in pairs for key in ("prompt", "chosen", "rejected") for message in row[key]
    )
    reward = RewardTrainer(
        model=LlamaForSequenceClassification(tiny_config(tokenizer, num_labels=1)),
        args=RewardConfig(output_dir=str(tmp_path / "reward"), **{**COMMON, "max_steps": 1}),
        train_dataset=pairs,
        processing_class=tokenizer,
    ).train()
    assert reward.global_step == 1
