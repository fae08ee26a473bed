"""Per-field encrypt and decrypt time, in microseconds, against raw AES-GCM on the same bytes."""

from datetime import date

from _harness import median_seconds, report, test_database
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from marac.models import Agency, AgencyKind, MaracArea, User
from referrals.models import Victim
from referrals.services import case_create

test_database()

N = 20_000
area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench agency", kind=AgencyKind.IDVA)
user = User.objects.create(username="bench")
case = case_create(area=area, referring_agency=agency, by=user, victim={"name": "A Person", "date_of_birth": date(1990, 1, 1)})
victim = Victim.objects.select_related("case__data_key").get(case=case)
field = Victim._meta.get_field("safe_address")
value = "Flat 2, 9 Ashby Road, Shepshed LE12 9BS"
ciphertext = field.encrypt(victim, value)


def encrypt_many():
    for _ in range(N):
        field.encrypt(victim, value)


def decrypt_many():
    for _ in range(N):
        field.decrypt(victim, ciphertext)


aes = AESGCM(b"k" * 32)
nonce = b"n" * 12
raw = aes.encrypt(nonce, value.encode(), b"ad")


def raw_decrypt_many():
    for _ in range(N):
        aes.decrypt(nonce, raw, b"ad")


encrypt_us = median_seconds(encrypt_many, 5) / N * 1e6
decrypt_us = median_seconds(decrypt_many, 5) / N * 1e6
raw_us = median_seconds(raw_decrypt_many, 5) / N * 1e6
report("field encrypt (AES-256-GCM + associated data)", encrypt_us, "us", "-", None)
report("field decrypt", decrypt_us, "us", "-", None)
report("raw AES-GCM decrypt of the same bytes", raw_us, "us", "-", None)
