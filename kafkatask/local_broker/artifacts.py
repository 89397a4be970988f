"""Fetch Apache Kafka's broker jars (and their dependencies) from Maven Central, once."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kafkatask.local_broker.errors import BrokerStartError

DEFAULT_KAFKA_VERSION = "4.3.1"
# Kafka's core jar declares log4j-core and slf4j-api but no binding between them; without this
# jar the broker would log nothing at all.
_LOG4J_VERSION = "2.25.4"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.kafkatask.local</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


@dataclass(frozen=True)
class KafkaArtifacts:
    """The cached class path of one Kafka version under `cache_dir/kafka-<version>/libs`."""

    cache_dir: Path
    version: str = DEFAULT_KAFKA_VERSION

    @property
    def libs_dir(self) -> Path:
        return self.cache_dir / f"kafka-{self.version}" / "libs"

    @property
    def _complete_marker(self) -> Path:
        return self.libs_dir / ".complete"

    def is_cached(self) -> bool:
        return self._complete_marker.exists()

    def classpath(self) -> str:
        return str(self.libs_dir / "*")

    def ensure(self) -> Path:
        """Return the libs directory, fetching the jars through Maven when not cached yet."""
        if self.is_cached():
            return self.libs_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerStartError(
                "Maven ('mvn') is not on PATH and Kafka "
                f"{self.version} is not cached in {self.libs_dir}; install Maven "
                "(e.g. 'apt-get install maven') or set KAFKATASK_BOOTSTRAP_SERVERS to a running "
                "broker"
            )
        self._fetch(mvn)
        return self.libs_dir

    def _fetch(self, mvn: str) -> None:
        self.libs_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="libs-", dir=self.libs_dir.parent))
        pom = staging / "pom.xml"
        pom.write_text(_POM.format(kafka=self.version, log4j=_LOG4J_VERSION))
        command = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
            f"-DoutputDirectory={staging / 'libs'}",
            "-DincludeScope=runtime",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-3:])
            raise BrokerStartError(
                f"Maven could not fetch org.apache.kafka:kafka_2.13:{self.version} "
                f"(exit {done.returncode}: {tail}); check that Maven Central is reachable"
            )
        if self.libs_dir.exists():
            shutil.rmtree(self.libs_dir)
        (staging / "libs").rename(self.libs_dir)
        shutil.rmtree(staging, ignore_errors=True)
        self._complete_marker.write_text(self.version)
