"""stance: compare how sources frame a topic, sentence by sentence."""

__version__ = "0.1.0"
