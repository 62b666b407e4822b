"""The config language: `load_config(path)` reads and validates assistants.yaml into the frozen model."""

from assistplan.config.checks import RESERVED_METADATA_KEY as RESERVED_METADATA_KEY
from assistplan.config.loader import load_config as load_config
from assistplan.config.model import AssistantSpec as AssistantSpec
from assistplan.config.model import Config as Config
from assistplan.config.model import ExperimentSpec as ExperimentSpec
from assistplan.config.model import FileSpec as FileSpec
from assistplan.config.model import NodeSpec as NodeSpec
from assistplan.config.model import PipelineSpec as PipelineSpec
from assistplan.config.model import Pos as Pos
from assistplan.config.model import ReleaseSpec as ReleaseSpec
from assistplan.config.model import StateConfig as StateConfig
from assistplan.config.model import VectorStoreSpec as VectorStoreSpec
from assistplan.config.schema import load_schema as load_schema

__all__ = [
    "RESERVED_METADATA_KEY",
    "AssistantSpec",
    "Config",
    "ExperimentSpec",
    "FileSpec",
    "NodeSpec",
    "PipelineSpec",
    "Pos",
    "ReleaseSpec",
    "StateConfig",
    "VectorStoreSpec",
    "load_config",
    "load_schema",
]
