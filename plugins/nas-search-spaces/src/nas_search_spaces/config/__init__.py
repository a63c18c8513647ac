"""The declarative config space (Archai's names): ``ConfigSearchSpace``, ``ArchParamTree``,
``DiscreteChoice``, ``ArchConfig``, ``repeat_config``."""
from nas_search_spaces.config.arch_config import ArchConfig, ArchConfigList
from nas_search_spaces.config.choice import DiscreteChoice
from nas_search_spaces.config.search_space import ConfigSearchSpace
from nas_search_spaces.config.tree import ArchParamTree, repeat_config

__all__ = ["ArchConfig", "ArchConfigList", "ArchParamTree", "ConfigSearchSpace", "DiscreteChoice", "repeat_config"]
