"""The types of observable (CONTRACT.md's names) and where an observable came from."""

from django.db import models


class ObservableType(models.TextChoices):
    IPV4 = "ipv4", "IPv4 address"
    IPV6 = "ipv6", "IPv6 address"
    CIDR = "cidr", "Network (CIDR)"
    DOMAIN = "domain", "Domain"
    HOSTNAME = "hostname", "Host name"
    URL = "url", "URL"
    EMAIL = "email", "E-mail address"
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    SHA512 = "sha512", "SHA-512"
    FILENAME = "filename", "File name"
    FILEPATH = "filepath", "File path"
    REGISTRY_KEY = "registry_key", "Registry key"
    USER_ACCOUNT = "user_account", "User account"
    USER_AGENT = "user_agent", "User agent"
    ASN = "asn", "Autonomous system (ASN)"
    CVE = "cve", "CVE"
    MAC = "mac", "MAC address"
    JA3 = "ja3", "TLS fingerprint (JA3, JA4)"
    MUTEX = "mutex", "Mutex"
    PROCESS = "process", "Process"
    CRYPTO_ADDRESS = "crypto_address", "Cryptocurrency address"
    OTHER = "other", "Other"


class Source(models.TextChoices):
    """How an observable came into Cordon."""

    MANUAL = "manual", "Typed by a person"
    EXTRACTED = "extracted", "Extracted from text"
    EVIDENCE = "evidence", "From evidence"
    API = "api", "From the API"
    IMPORTED = "imported", "Imported"


TYPE_MAX_LENGTH = 16
SOURCE_MAX_LENGTH = 12
