"""./demo.sh's story runs on the seeded devcloud and prints what a person reads."""

from packtools import demo_story


def test_the_story_reads_as_a_story(seeded_cloud, clouds_yaml, capsys):
    assert seeded_cloud and clouds_yaml.cloud == demo_story.CLOUD
    assert demo_story.main() == 0
    printed = capsys.readouterr().out
    for number in range(1, 5):
        assert f"\n== {number}. " in printed
    assert printed.count("in StackStorm: st2 run cloudops.") == 4
    shutoff_old = [
        name
        for name, server in seeded_cloud["servers"].items()
        if server["status"] == "SHUTOFF" and "seed-" in name
    ]
    assert all(name in printed for name in shutoff_old)
    assert "would be sent; nothing was sent" in printed and "the first message:" in printed
    assert "compute2: " in printed and '{"' not in printed  # no raw JSON dumps
