"""The incident types Cordon ships with, as type documents (incidents.typeschema).

The web application compromise follows the source article's four steps and its six
questions for the review; the others follow public CSIRT playbooks (CISA's
#StopRansomware guide, the NCSC incident management guidance, the CERT Société
Générale IRM sheets for phishing, data leak, DDoS and insider abuse). A data migration
installs them; leads may edit or retire them, and an edited built-in is never
overwritten.
"""

AC, DI, FP, PR = "assess_contain", "disclose", "find_patch", "prepare"


def _task(key, title, phase, due_hours, role="", description="", after=()):
    task = {"key": key, "title": title, "phase": phase, "due_hours": due_hours}
    if role:
        task["assignee_role"] = role
    if description:
        task["description"] = description
    if after:
        task["after"] = list(after)
    return task


def _section(key, title, guidance):
    return {"key": key, "title": title, "guidance": guidance}


def _field(key, label, kind, *, required=False, help_text="", choices=()):
    field = {"key": key, "label": label, "kind": kind, "required": required}
    if help_text:
        field["help_text"] = help_text
    if choices:
        field["choices"] = list(choices)
    return field


# The article's six questions for a web application (ReviewSectionKind keys).
WEB_REVIEW = [
    _section(
        "code_security",
        "How can we make the code more secure?",
        "Audit the whole codebase for the same flaw, not just the place it was found.",
    ),
    _section(
        "static_content",
        "Can static content move to a CDN or out from behind login?",
        "Less exposed application, less for an attack to reach.",
    ),
    _section(
        "authentication",
        "Is authentication strong enough?",
        "Second factors everywhere, phishing-resistant keys, token lifetimes.",
    ),
    _section(
        "authorization",
        "Can authorization be strengthened?",
        "Least privilege, need-to-know, separation of duties.",
    ),
    _section(
        "monitoring",
        "Can monitoring and logging be strengthened?",
        "What did we not see, or see too late?",
    ),
    _section(
        "human_factors",
        "Which human factors can improve?",
        "Training, verification of support calls, phishing exercises, workload.",
    ),
]

BUILTIN_TYPES = [
    {
        "key": "web_app_compromise",
        "name": "Web application compromise",
        "description": "An attacker got into a web application or its data.",
        "default_severity": "high",
        "default_tlp": "amber",
        "default_tags": ["web"],
        "disclosure_regimes": ["gdpr_art33", "gdpr_art34", "nis2"],
        "playbook": [
            _task(
                "assess",
                "Assess the damage: how they got in, what data was accessed, which holes remain",
                AC,
                4,
                "commander",
            ),
            _task(
                "evidence",
                "Collect evidence: screenshots, infected files, logs (move them out of /tmp)",
                AC,
                4,
                "responder",
            ),
            _task(
                "skeleton_crew",
                "Go to a skeleton crew: the fewest people with the most expertise",
                AC,
                2,
                "commander",
            ),
            _task(
                "turn_off",
                "Turn off what you can (maintenance mode, a DNS redirect), "
                "after consulting legal and management",
                AC,
                6,
                "commander",
                after=["assess"],
            ),
            _task(
                "disclosure_facts",
                "Give management the facts for users: how it was discovered, "
                "which systems when and for how long, which data",
                DI,
                24,
                "communications",
                after=["assess"],
            ),
            _task(
                "notify_authority",
                "Notify the supervisory authority where the law requires it",
                DI,
                72,
                "legal",
            ),
            _task(
                "find_holes",
                "Find the security holes, backwards from the exploited data or access layer",
                FP,
                72,
                "responder",
                after=["evidence"],
            ),
            _task(
                "patch",
                "Patch the holes and verify the fix",
                FP,
                120,
                "responder",
                after=["find_holes"],
            ),
            _task(
                "review",
                "Hold the blameless post-incident review",
                PR,
                336,
                "commander",
                after=["patch"],
            ),
        ],
        "custom_fields": [
            _field("application", "Affected application", "text", required=True),
            _field(
                "entry_point",
                "Entry point",
                "choice",
                choices=[
                    "injection",
                    "stolen credentials",
                    "vulnerable dependency",
                    "misconfiguration",
                    "unknown",
                ],
            ),
            _field("url", "Affected URL", "url"),
        ],
        "review_sections": WEB_REVIEW,
    },
    {
        "key": "ransomware",
        "name": "Ransomware",
        "description": "Files or systems encrypted, with or without data theft and ransom.",
        "default_severity": "critical",
        "default_tlp": "amber",
        "default_tags": ["ransomware", "malware"],
        "disclosure_regimes": ["gdpr_art33", "nis2", "sec_8k"],
        "playbook": [
            _task(
                "isolate",
                "Isolate infected systems from the network (do not power off: memory holds keys)",
                AC,
                1,
                "responder",
            ),
            _task(
                "scope",
                "Determine the strain, patient zero and the spread",
                AC,
                8,
                "responder",
                after=["isolate"],
            ),
            _task(
                "memory", "Capture memory and disk images of affected systems", AC, 8, "responder"
            ),
            _task("backups", "Check that backups are intact and offline", AC, 12, "responder"),
            _task(
                "exfiltration",
                "Check for data exfiltration (double extortion)",
                AC,
                24,
                "responder",
            ),
            _task(
                "authorities",
                "Inform law enforcement and the authority where required",
                DI,
                24,
                "legal",
            ),
            _task(
                "users",
                "Prepare the notice to affected people",
                DI,
                72,
                "communications",
                after=["exfiltration"],
            ),
            _task("credentials", "Reset credentials the attacker may hold", FP, 48, "responder"),
            _task(
                "restore",
                "Rebuild and restore from clean backups",
                FP,
                120,
                "responder",
                after=["backups"],
            ),
            _task("review", "Hold the blameless post-incident review", PR, 336, "commander"),
        ],
        "custom_fields": [
            _field(
                "strain",
                "Ransomware strain",
                "text",
                help_text="As identified, e.g. from the note.",
            ),
            _field("ransom_demanded", "Ransom demanded (USD)", "number"),
            _field("encrypted_hosts", "Encrypted hosts", "number", required=True),
            _field("data_stolen", "Data stolen before encryption", "boolean"),
            _field("leak_site", "Leak site URL", "url"),
        ],
        "review_sections": [
            _section(
                "backups",
                "Did backups allow a timely restore?",
                "Offline copies, restore tests, time to restore.",
            ),
            _section("segmentation", "Could segmentation have limited the spread?", ""),
            _section("detection", "What would have detected it before encryption?", ""),
        ],
    },
    {
        "key": "phishing",
        "name": "Phishing",
        "description": "A phishing message reached people; some may have clicked on it.",
        "default_severity": "medium",
        "default_tlp": "green",
        "default_tags": ["phishing", "email"],
        "disclosure_regimes": ["none"],
        "playbook": [
            _task("collect", "Collect the message with its headers", AC, 2, "responder"),
            _task(
                "block",
                "Block sender, URLs and domains; purge the message from mailboxes",
                AC,
                4,
                "responder",
                after=["collect"],
            ),
            _task(
                "victims",
                "Find who clicked or entered credentials",
                AC,
                8,
                "responder",
                after=["collect"],
            ),
            _task(
                "reset",
                "Reset credentials of those who entered them and revoke their sessions",
                AC,
                8,
                "responder",
                after=["victims"],
            ),
            _task("takedown", "Request the takedown of the phishing site", FP, 24, "responder"),
            _task("warn", "Warn staff about the campaign", DI, 12, "communications"),
            _task("review", "Review filters and reporting", PR, 168, "commander"),
        ],
        "custom_fields": [
            _field("sender", "Sender address", "text"),
            _field("recipients", "Recipients", "number"),
            _field("clicked", "People who clicked", "number"),
            _field("credentials_entered", "Credentials entered", "boolean"),
        ],
        "review_sections": [
            _section("filtering", "Why did the filters let it through?", ""),
            _section("reporting", "How fast did people report it?", ""),
            WEB_REVIEW[2],
        ],
    },
    {
        "key": "data_leak",
        "name": "Data leak",
        "description": "Data left the organisation: an open store, a wrong recipient, a dump.",
        "default_severity": "high",
        "default_tlp": "amber",
        "default_tags": ["data-leak"],
        "disclosure_regimes": ["gdpr_art33", "gdpr_art34", "hipaa"],
        "playbook": [
            _task("stop", "Stop the leak: close access, take down the copy", AC, 2, "responder"),
            _task("scope", "Determine which records and people are affected", AC, 24, "responder"),
            _task(
                "assess_risk",
                "Assess the risk to the people affected",
                DI,
                48,
                "legal",
                after=["scope"],
            ),
            _task(
                "notify",
                "Notify the authority and the people where required",
                DI,
                72,
                "legal",
                after=["assess_risk"],
            ),
            _task("cause", "Find and fix the cause", FP, 120, "responder"),
            _task("review", "Hold the blameless post-incident review", PR, 336, "commander"),
        ],
        "custom_fields": [
            _field("records", "Records affected", "number", required=True),
            _field("data_location", "Where the data was exposed", "text"),
            _field(
                "special_categories",
                "Special categories",
                "multi_choice",
                choices=["health", "biometric", "children", "criminal records", "none"],
            ),
        ],
        "review_sections": [
            _section("data_inventory", "Did we know where this data lived?", ""),
            WEB_REVIEW[3],
            WEB_REVIEW[4],
        ],
    },
    {
        "key": "lost_device",
        "name": "Lost or stolen device",
        "description": "A laptop, phone or storage medium is lost or stolen.",
        "default_severity": "medium",
        "default_tlp": "amber",
        "default_tags": ["device"],
        "disclosure_regimes": ["gdpr_art33"],
        "playbook": [
            _task("wipe", "Lock or wipe the device remotely", AC, 2, "responder"),
            _task(
                "revoke",
                "Revoke the device's certificates, tokens and sessions",
                AC,
                4,
                "responder",
            ),
            _task("encryption", "Confirm whether the disk was encrypted", AC, 8, "responder"),
            _task("police", "Report the theft to the police", DI, 24, "legal"),
            _task("data", "Assess which data was on it", DI, 48, "legal", after=["encryption"]),
        ],
        "custom_fields": [
            _field("device", "Device", "text", required=True),
            _field("encrypted", "Disk encrypted", "boolean"),
            _field("lost_on", "Lost on", "date"),
        ],
        "review_sections": [
            _section(
                "device_policy",
                "Do device policies hold up?",
                "Encryption, remote wipe, what is kept locally.",
            )
        ],
    },
    {
        "key": "ddos",
        "name": "Denial of service (DDoS)",
        "description": "A service is flooded or made unavailable.",
        "default_severity": "high",
        "default_tlp": "green",
        "default_tags": ["ddos", "availability"],
        "disclosure_regimes": ["nis2"],
        "playbook": [
            _task(
                "characterise",
                "Characterise the traffic: volume, vectors, targets",
                AC,
                1,
                "responder",
            ),
            _task(
                "mitigate",
                "Engage the ISP or scrubbing provider; filter or rate-limit",
                AC,
                2,
                "responder",
                after=["characterise"],
            ),
            _task("status", "Post a status update for users", DI, 4, "communications"),
            _task("harden", "Harden the exposed services", FP, 72, "responder"),
            _task("review", "Review capacity and the mitigation contract", PR, 168, "commander"),
        ],
        "custom_fields": [
            _field("peak_gbps", "Peak traffic (Gbit/s)", "number"),
            _field(
                "vector",
                "Attack vector",
                "choice",
                choices=["volumetric", "protocol", "application layer"],
            ),
            _field("ransom_note", "Extortion demand received", "boolean"),
        ],
        "review_sections": [
            _section("capacity", "Was mitigation capacity enough, and how fast did it start?", "")
        ],
    },
    {
        "key": "insider",
        "name": "Insider threat",
        "description": "Someone inside misused their access.",
        "default_severity": "high",
        "default_tlp": "red",
        "default_tags": ["insider"],
        "disclosure_regimes": ["gdpr_art33"],
        "playbook": [
            _task("legal_hr", "Involve legal and HR before anything else", AC, 2, "legal"),
            _task("preserve", "Preserve logs and evidence quietly", AC, 4, "responder"),
            _task(
                "access",
                "Suspend or restrict the person's access when decided",
                AC,
                8,
                "commander",
                after=["legal_hr"],
            ),
            _task(
                "scope",
                "Determine what was accessed or taken",
                AC,
                48,
                "responder",
                after=["preserve"],
            ),
            _task("notify", "Notify where required", DI, 72, "legal", after=["scope"]),
            _task("review", "Review access rights and monitoring", PR, 336, "commander"),
        ],
        "custom_fields": [
            _field("department", "Department", "text"),
            _field("still_employed", "Still employed", "boolean"),
        ],
        "review_sections": [WEB_REVIEW[3], WEB_REVIEW[4], WEB_REVIEW[5]],
    },
]
