from members.models import Member


def test_world_builds_and_scopes(world):
    assert set(Member.objects.visible_to(world.secretary)) == {
        world.member_a1, world.member_a1_other, world.member_group
    }
