"""``service.instance.id``: one per process, renewed in forked children, the user's kept."""

from __future__ import annotations

from tests.support.subprocess_run import run_python

FORK = """
    import json, os
    import obskit
    telemetry = obskit.configure(service_name="orders", exporter="none")
    resource = telemetry.tracer_provider.resource
    parent = resource.attributes["service.instance.id"]
    read, write = os.pipe()
    children = []
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os.write(write, (resource.attributes["service.instance.id"] + "\\n").encode())
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    os.close(write)
    ids = os.read(read, 10_000).decode().split()
    print(json.dumps({"parent": parent, "children": ids,
                      "parent_after": resource.attributes["service.instance.id"]}))
"""


def test_every_forked_worker_reports_its_own_instance_id() -> None:
    result = run_python(FORK)["result"]
    ids = [result["parent"], *result["children"]]
    assert len(result["children"]) == 3
    assert len(set(ids)) == 4  # parent and three children, all different
    assert result["parent_after"] == result["parent"]


def test_an_instance_id_the_user_set_is_kept_in_children() -> None:
    result = run_python(FORK, env={"OTEL_RESOURCE_ATTRIBUTES": "service.instance.id=pod-7"})
    assert result["result"]["parent"] == "pod-7"
    assert result["result"]["children"] == ["pod-7"] * 3
