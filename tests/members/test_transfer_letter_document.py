"""Issue #15: the introduction letter as the official document (stub, letter, receipt), its QR code
and the public check it opens (the member named masked, both organisations, validity at its edges)."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import segno
from django.urls import reverse
from django.utils import timezone

from core.validators import mask_name
from members import selectors
from members.models import Transfer

from .conftest import reload


def letter_page(client, user, transfer):
    client.force_login(user)
    response = client.get(reverse("members:transfer_letter", args=[transfer.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_mask_name():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name(" 李 ") == "李"
    assert mask_name("") == ""


def test_letter_has_stub_letter_and_receipt_with_particulars(client, world, approved):
    t = reload(approved)
    member = world.member_a1
    page = letter_page(client, world.secretary, t)
    for part in ('id="letter-stub"', 'id="letter-body"', 'id="letter-receipt"'):
        assert part in page
    assert page.count("cut here") == 2
    assert page.count("(seal)") == 2
    stub = page[page.index('id="letter-stub"') : page.index('id="letter-body"')]
    age = member.age(t.letter_issued_on)
    for value in (member.name, "male", f'id="stub-age">{age}<', member.ethnicity, "full member"):
        assert value in stub
    # A branch secretary sees the ID number masked (core.personal), on every part of the letter.
    assert member.id_number_masked in stub
    assert member.id_number not in page
    assert 'id="letter-id-masked-note"' in page
    body = page[page.index('id="letter-body"') : page.index('id="letter-receipt"')]
    assert f"We introduce comrade {member.name} (full member), ID number {member.id_number_masked}," in body
    assert f"who works at {member.employer}" in body
    assert f"moving from {world.branch_a1.name} to {world.branch_b.name}" in body
    assert f"(Valid for {t.letter_valid_days} days," in body
    receipt = page[page.index('id="letter-receipt"') :]
    assert f"The party organisation relation of comrade {member.name} has reached us. We hereby reply." in receipt


def test_the_member_sees_their_own_full_id_number(client, world, approved):
    page = letter_page(client, world.member_user, reload(approved))
    assert world.member_a1.id_number in page
    assert 'id="letter-id-masked-note"' not in page


def test_qr_code_holds_the_verification_address(client, world, approved):
    t = reload(approved)
    page = letter_page(client, world.secretary, t)
    href = re.search(r'<a href="([^"]+)" id="letter-qr"', page).group(1).replace("&amp;", "&")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", "testserver", reverse("members:letter_verify"))
    assert parse_qs(parts.query) == {"number": [t.letter_number], "code": [t.verification_code]}
    # The SVG on the page is the QR code of exactly that address (segno draws the same modules).
    svg = re.search(r'id="letter-qr"[^>]*>(<svg.*?</svg>)', page, re.S).group(1)
    drawn = re.search(r' d="([^"]+)"', svg).group(1)
    expected = re.search(r' d="([^"]+)"', segno.make(href, error="m").svg_inline(scale=3)).group(1)
    assert drawn == expected
    other = re.search(r' d="([^"]+)"', segno.make(href + "0", error="m").svg_inline(scale=3)).group(1)
    assert drawn != other


def verify_by_qr(client, t):
    client.logout()
    url = f"{reverse('members:letter_verify')}?number={t.letter_number}&code={t.verification_code}"
    return client.get(url)


def test_verification_by_qr_address_names_the_member_masked(client, world, approved):
    t = reload(approved)
    response = verify_by_qr(client, t)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-result="valid"' in page
    assert 'id="verify-member">成***<' in page
    assert world.member_a1.name not in page
    assert f'id="verify-from">{world.branch_a1.name}<' in page
    assert f'id="verify-to">{world.branch_b.name}<' in page
    assert f'id="verify-number">{t.letter_number}<' in page
    # The form is filled in with what the QR code carried.
    assert f'value="{t.letter_number}"' in page


def test_verification_at_the_edges_of_validity(client, world, approved):
    today = timezone.localdate()
    t = reload(approved)
    # The last valid day is letter_valid_until itself; the day after, the letter has expired.
    Transfer.objects.filter(pk=t.pk).update(letter_valid_until=today)
    page = verify_by_qr(client, reload(t)).content.decode()
    assert 'data-result="valid"' in page
    Transfer.objects.filter(pk=t.pk).update(letter_valid_until=today - datetime.timedelta(days=1))
    page = verify_by_qr(client, reload(t)).content.decode()
    assert 'data-result="expired"' in page
    assert "Genuine, but expired: it was valid until" in page
    assert 'id="verify-member">成***<' in page
    t = reload(t)
    last = t.letter_valid_until
    check = selectors.letter_check(number=t.letter_number, code=t.verification_code, today=last)
    assert check.result == "valid"
    after = selectors.letter_check(number=t.letter_number, code=t.verification_code, today=last + datetime.timedelta(1))
    assert after.result == "expired"
    assert after.valid_until == last


def test_withdrawn_and_unknown_letters(client, world, approved):
    t = reload(approved)
    Transfer.objects.filter(pk=t.pk).update(status=Transfer.Status.CANCELLED)
    page = verify_by_qr(client, t).content.decode()
    assert 'data-result="withdrawn"' in page
    client.logout()
    wrong = client.get(f"{reverse('members:letter_verify')}?number={t.letter_number}&code=0000")
    page = wrong.content.decode()
    assert 'data-result="unknown"' in page
    assert 'id="verify-details"' not in page
    assert world.branch_a1.name not in page
    # A half-filled address is a form error, not a server error.
    assert client.get(f"{reverse('members:letter_verify')}?number=&code=").status_code == 400
