"""A deterministic simulated SaaS company writing Stripe Event objects and Segment calls."""

from orchestration.generator.simulate import GeneratorConfig, generate

__all__ = ["GeneratorConfig", "generate"]
