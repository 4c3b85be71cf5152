"""Settings of knowledge files: how large an upload may be, where files are kept, and
the limits of reading them (docs/knowledge-files.md explains each).

==================================  ==================================================
FILE_MAX_BYTES                      largest upload accepted (20 MiB)
FILE_STORE                          filesystem | s3 (filesystem)
FILE_STORE_DIR                      the filesystem store's root (.ringbook/files,
                                    relative to the working directory)
S3_BUCKET                           the bucket (required with FILE_STORE=s3)
S3_ENDPOINT_URL                     an S3-compatible endpoint (unset: AWS)
S3_REGION                           the region (unset: the SDK's default)
S3_ACCESS_KEY_ID                    credentials; unset: the SDK's chain (an IAM role,
S3_SECRET_ACCESS_KEY                AWS_* variables); both or neither
S3_PREFIX                           a key prefix inside the bucket ('')
S3_PATH_STYLE                       path-style addressing (MinIO and most self-hosted)
EXTRACTION_MAX_PAGES                PDF pages read at most (2000)
EXTRACTION_MAX_CHARS                text kept at most; longer files fail (2,000,000)
EXTRACTION_MAX_UNZIPPED_BYTES       a DOCX's unpacked size at most (100 MiB)
EXTRACTION_MAX_COMPRESSION_RATIO    a DOCX part's compression ratio at most (100)
EXTRACTION_MAX_ZIP_MEMBERS          a DOCX's parts at most (2000)
EXTRACTION_MEMORY_BYTES             address space of the reading process (1 GiB)
EXTRACTION_CPU_SECONDS              its CPU time (90)
EXTRACTION_TIMEOUT_SECONDS          its wall-clock time, then it is killed (120)
EXTRACTION_CONCURRENCY              files read at once per process (1)
==================================  ==================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from ringbook.settings import ServiceSettings

from catalog_service.domain.extraction import MIB, ExtractionLimits


class FileStoreSettings(ServiceSettings):
    file_max_bytes: int = Field(default=20 * MIB, ge=1, le=1024 * MIB)
    file_store: Literal["filesystem", "s3"] = "filesystem"
    file_store_dir: Path = Path(".ringbook/files")

    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""
    s3_path_style: bool = False

    extraction_max_pages: int = Field(default=2000, ge=1)
    extraction_max_chars: int = Field(default=2_000_000, ge=1000)
    extraction_max_unzipped_bytes: int = Field(default=100 * MIB, ge=MIB)
    extraction_max_compression_ratio: float = Field(default=100.0, ge=10)
    extraction_max_zip_members: int = Field(default=2000, ge=10)
    extraction_memory_bytes: int = Field(default=1024 * MIB, ge=256 * MIB)
    extraction_cpu_seconds: int = Field(default=90, ge=1)
    extraction_timeout_seconds: float = Field(default=120.0, gt=0)
    extraction_concurrency: int = Field(default=1, ge=1, le=16)

    @model_validator(mode="after")
    def _s3_is_complete(self) -> Self:
        if self.file_store == "s3" and not self.s3_bucket:
            raise ValueError("FILE_STORE=s3 needs S3_BUCKET")
        if (self.s3_access_key_id is None) != (self.s3_secret_access_key is None):
            raise ValueError("set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither")
        return self

    def extraction_limits(self) -> ExtractionLimits:
        return ExtractionLimits(
            max_pages=self.extraction_max_pages,
            max_unzipped_bytes=self.extraction_max_unzipped_bytes,
            max_compression_ratio=self.extraction_max_compression_ratio,
            max_zip_members=self.extraction_max_zip_members,
            max_chars=self.extraction_max_chars,
            memory_bytes=self.extraction_memory_bytes,
            cpu_seconds=self.extraction_cpu_seconds,
            timeout_seconds=self.extraction_timeout_seconds,
            concurrency=self.extraction_concurrency,
        )
