"""The suite's ModelPack documents are model-spec's own: its names, read from its Go
constants, its example manifest and its config schema (tests/data/model-spec, copied
from github.com/modelpack/model-spec; its README says from where)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artifact_conformance.fixtures.registry.builder import (
    MODELPACK,
    MODELPACK_DRAFT,
    ArtifactBuilder,
    Layer,
    ModelPackEdition,
    descriptor_name,
    modelpack_config,
)
from artifact_conformance.simulator import mediatypes as mt

SPEC = Path(__file__).resolve().parent / "data" / "model-spec"
GO_CONSTANT = re.compile(r'^\s*(\w+)\s*=\s*"([^"]+)"', re.MULTILINE)


def go_constants(edition: str) -> dict[str, str]:
    text = "".join((SPEC / edition / name).read_text() for name in ("mediatype.go", "annotations.go"))
    return dict(GO_CONSTANT.findall(text))


def spec_json(name: str) -> dict:
    return json.loads((SPEC / "main" / name).read_text())


@pytest.mark.parametrize(("edition", "folder"), [(MODELPACK, "main"), (MODELPACK_DRAFT, "v0.0.6")])
def test_an_editions_names_are_model_specs_constants(edition: ModelPackEdition, folder: str):
    constants = go_constants(folder)
    assert edition.artifact_type == constants["ArtifactTypeModelManifest"]
    assert edition.config_media_type == constants["MediaTypeModelConfig"]
    assert edition.filepath_annotation == constants["AnnotationFilepath"]
    layer_types = {value for key, value in constants.items()
                   if key.startswith("MediaTypeModel") and key != "MediaTypeModelConfig"}
    assert {edition.layer_media_type(kind, packing) for kind in edition.LAYER_KINDS
            for packing in edition.LAYER_PACKINGS} == layer_types


def test_the_reference_store_reads_both_editions_file_path_keys_published_first():
    assert mt.LAYER_NAME_KEYS == (mt.ANNOTATION_TITLE, go_constants("main")["AnnotationFilepath"],
                                  go_constants("v0.0.6")["AnnotationFilepath"])
    both = {mt.ANNOTATION_MODELPACK_DRAFT_FILEPATH: "old.json", mt.ANNOTATION_MODELPACK_FILEPATH: "new.json"}
    assert mt.layer_name({"annotations": both}) == "new.json"
    assert mt.layer_name({"annotations": {**both, mt.ANNOTATION_TITLE: "titled.json"}}) == "titled.json"
    assert mt.layer_name({"annotations": {mt.ANNOTATION_MODELPACK_DRAFT_FILEPATH: "old.json"}}) == "old.json"
    assert mt.layer_name({"annotations": {"org.example": "x"}}) is None


def test_a_model_has_the_shape_of_model_specs_example_manifest():
    example = spec_json("example-manifest.json")
    layers = [Layer(f"layer {position}".encode(), media_type=descriptor["mediaType"])
              for position, descriptor in enumerate(example["layers"])]

    model = ArtifactBuilder.offline("registry.example").model("models/llm", "v1", layers).manifest

    def shape(manifest: dict) -> dict:
        return {"schemaVersion": manifest["schemaVersion"], "mediaType": manifest["mediaType"],
                "artifactType": manifest["artifactType"], "config": manifest["config"]["mediaType"],
                "layers": [(layer["mediaType"], layer.get("annotations")) for layer in manifest["layers"]],
                "annotations": manifest.get("annotations")}

    assert shape(model) == shape(example)
    assert {layer["mediaType"] for layer in example["layers"]} <= {
        MODELPACK.layer_media_type(kind, packing) for kind in MODELPACK.LAYER_KINDS for packing in MODELPACK.LAYER_PACKINGS}


def test_a_model_config_is_valid_by_model_specs_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec_json("config-schema.json")
    jsonschema.validate(spec_json("example-config.json"), schema)  # the schema as the spec's own example reads it

    layers = [Layer(b"weights", filepath_annotation="model.safetensors"), Layer(b"{}", filepath_annotation="config.json")]
    config = json.loads(modelpack_config(layers))

    jsonschema.validate(config, schema)
    assert config["modelfs"]["diffIds"] == [layer.digest for layer in layers]


def test_a_layer_named_by_a_file_path_carries_its_editions_key_and_raw_media_type():
    published = Layer(b"w", filepath_annotation="model.safetensors").descriptor()
    draft = Layer(b"w", filepath_annotation="model.safetensors", modelpack=MODELPACK_DRAFT).descriptor()

    assert published["annotations"] == {go_constants("main")["AnnotationFilepath"]: "model.safetensors"}
    assert published["mediaType"] == go_constants("main")["MediaTypeModelWeightRaw"]
    assert draft["annotations"] == {go_constants("v0.0.6")["AnnotationFilepath"]: "model.safetensors"}
    assert draft["mediaType"] == go_constants("v0.0.6")["MediaTypeModelWeightRaw"]
    assert descriptor_name(published) == descriptor_name(draft) == "model.safetensors"
    assert descriptor_name(Layer(b"w", title="a.bin", filepath_annotation="b.bin").descriptor()) == "a.bin"
    assert Layer(b"w", title="a.bin").descriptor()["mediaType"] == "application/vnd.oci.image.layer.v1.tar"


def test_a_model_of_the_draft_edition_is_named_as_the_draft_did():
    layers = [Layer(b"w", filepath_annotation="tokenizer.json", modelpack=MODELPACK_DRAFT)]
    manifest = ArtifactBuilder.offline("registry.example").model("models/llm", "v1", layers, MODELPACK_DRAFT).manifest
    constants = go_constants("v0.0.6")
    assert (manifest["artifactType"], manifest["config"]["mediaType"]) == (
        constants["ArtifactTypeModelManifest"], constants["MediaTypeModelConfig"])
