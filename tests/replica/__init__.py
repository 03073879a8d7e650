"""The replica portal: seeded local HTTP server of fake Vietnamese provincial news portals + ground truth."""

from tests.replica.server import ReplicaServer
from tests.replica.truth import ArticleTruth, GroundTruth
from tests.replica.world import World, build_world

__all__ = ["ArticleTruth", "GroundTruth", "ReplicaServer", "World", "build_world"]
