"""Zero to JupyterHub on paper, checked: hub/z2jh/values.yaml and hub/z2jh/Dockerfile.

The chart's keys come from its values schema (jupyterhub/values.schema.yaml of the
zero-to-jupyterhub-k8s repository, chart 4.4.0 and the development head of 2026-07): every
object the class's values touch has ``additionalProperties: false`` there, so an unknown
key fails ``helm install``; here it fails this test first. The rules are the class's own:
students get the student image built from the published repository, the exchange on a
ReadWriteMany claim where nbgrader looks for it, no gradebook URL for students, resources.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from autograder import publish

ROOT = Path(__file__).resolve().parents[1]
Z2JH = ROOT / "hub" / "z2jh"
VALUES = yaml.safe_load((Z2JH / "values.yaml").read_text())

# The chart schema's properties of every object used here (values.schema.yaml).
CHART_KEYS: dict[str, set[str]] = {
    "": {"enabled", "fullnameOverride", "nameOverride", "imagePullSecret", "imagePullSecrets", "hub", "proxy",
         "singleuser", "scheduling", "ingress", "httpRoute", "prePuller", "custom", "cull", "debug", "rbac",
         "global"},
    "hub": {"revisionHistoryLimit", "config", "extraFiles", "baseUrl", "command", "args", "cookieSecret", "image",
            "networkPolicy", "db", "labels", "initContainers", "extraEnv", "extraConfig", "fsGid", "service", "pdb",
            "existingSecret", "nodeSelector", "tolerations", "activeServerLimit", "allowNamedServers",
            "annotations", "authenticatePrometheus", "concurrentSpawnLimit", "consecutiveFailureLimit",
            "podSecurityContext", "containerSecurityContext", "deploymentStrategy", "extraContainers",
            "extraVolumeMounts", "extraVolumes", "livenessProbe", "readinessProbe", "namedServerLimitPerUser",
            "redirectToServer", "resources", "lifecycle", "services", "loadRoles", "shutdownOnLogout",
            "templatePaths", "templateVars", "serviceAccount", "extraPodSpec"},
    "singleuser": {"networkPolicy", "podNameTemplate", "cpu", "memory", "image", "initContainers", "profileList",
                   "extraFiles", "extraEnv", "nodeSelector", "extraTolerations", "extraNodeAffinity",
                   "extraPodAffinity", "extraPodAntiAffinity", "cloudMetadata", "cmd", "defaultUrl", "events",
                   "extraAnnotations", "extraContainers", "extraLabels", "extraPodConfig", "extraResource", "fsGid",
                   "lifecycleHooks", "networkTools", "serviceAccountName", "startTimeout", "storage",
                   "allowPrivilegeEscalation", "uid"},
    "singleuser.image": {"name", "tag", "pullPolicy", "pullSecrets"},
    "singleuser.cpu": {"limit", "guarantee"},
    "singleuser.memory": {"limit", "guarantee"},
    "singleuser.storage": {"capacity", "dynamic", "extraLabels", "extraVolumeMounts", "extraVolumes",
                           "homeMountPath", "static", "type"},
    "singleuser.extraFiles.*": {"mountPath", "data", "stringData", "binaryData", "mode"},
    "hub.service": {"type", "ports", "annotations", "extraPorts", "loadBalancerIP", "ipFamilyPolicy", "ipFamilies"},
    "hub.networkPolicy": {"enabled", "ingress", "egress", "egressAllowRules", "interNamespaceAccessLabels",
                          "allowedIngressPorts"},
    "proxy": {"annotations", "chp", "deploymentStrategy", "https", "labels", "secretSync", "secretToken", "service",
              "traefik"},
    "proxy.chp": {"containerSecurityContext", "defaultTarget", "errorTarget", "extraCommandLineFlags", "extraEnv",
                  "extraPodSpec", "image", "livenessProbe", "networkPolicy", "nodeSelector", "pdb", "readinessProbe",
                  "resources", "revisionHistoryLimit", "tolerations"},
    "proxy.chp.networkPolicy": {"enabled", "ingress", "egress", "egressAllowRules", "interNamespaceAccessLabels",
                                "allowedIngressPorts"},
}
# Subtrees the chart passes through (traitlets config, Kubernetes specs, env maps).
FREE_FORM = re.compile(r"^(hub\.config\.[A-Z][A-Za-z]*|singleuser\.extraEnv|singleuser\.initContainers|"
                       r"singleuser\.storage\.extraVolumes|singleuser\.storage\.extraVolumeMounts|"
                       r"hub\.services|hub\.loadRoles|hub\.extraContainers|hub\.extraVolumes|hub\.service\.extraPorts|"
                       r"hub\.networkPolicy\.ingress|proxy\.chp\.networkPolicy\.egress)(\.|$)")


def _unknown_keys(node: dict, path: str = "") -> list[str]:
    """Key paths of ``node`` the chart schema does not have (KeyError: an object this test
    has no schema keys for yet: add them from values.schema.yaml)."""
    found = []
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if FREE_FORM.match(where):
            continue
        if path == "hub.config":
            if not re.match(r"^[A-Z]", key):  # the schema: patternProperties "^[A-Z].*$"
                found.append(where)
            continue
        if path != "singleuser.extraFiles":  # whose keys are the files' own names
            schema_path = re.sub(r"^singleuser\.extraFiles\.[^.]+$", "singleuser.extraFiles.*", path)
            if key not in CHART_KEYS[schema_path]:
                found.append(where)
                continue
        if isinstance(value, dict):
            found += _unknown_keys(value, where)
    return found


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of hub/z2jh/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (Z2JH / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_every_values_key_is_one_the_chart_has():
    assert _unknown_keys(VALUES) == []
    broken = {"singleuser": {"storage": {"extraVolume": []}, "defaultURL": "/lab",
                             "extraFiles": {"cfg": {"mountpath": "/etc/x", "stringData": ""}}},
              "hub": {"config": {"jupyterhub": {}}}}
    assert _unknown_keys(broken) == ["singleuser.storage.extraVolume", "singleuser.defaultURL",
                                     "singleuser.extraFiles.cfg.mountpath", "hub.config.jupyterhub"]


def test_students_get_the_student_image_and_instructors_theirs():
    single, override = VALUES["singleuser"], VALUES["hub"]["config"]["KubeSpawner"]["group_overrides"]
    assert single["image"]["name"] == "lrlab-student" and single["image"]["tag"] not in ("", "latest")
    assert single["defaultUrl"] == "/lab"
    instructors = override["01-instructors"]
    assert instructors["groups"] == ["instructors"]
    assert instructors["groups"][0] in VALUES["hub"]["config"]["JupyterHub"]["load_groups"]
    assert instructors["spawner_override"]["image"] == f"lrlab-instructor:{single['image']['tag']}"
    stages = [args for op, args in _dockerfile() if op == "FROM"]
    assert [s.split()[-1] for s in stages] == ["instructor", "student"]  # the student image is the default target
    assert stages[1].startswith("instructor ")  # one environment for both


def test_the_exchange_is_shared_where_nbgrader_looks_for_it():
    single = VALUES["singleuser"]
    (volume,) = single["storage"]["extraVolumes"]
    (mount,) = single["storage"]["extraVolumeMounts"]
    assert mount["name"] == volume["name"]
    claim = yaml.safe_load((Z2JH / "exchange-pvc.yaml").read_text())
    assert claim["kind"] == "PersistentVolumeClaim" and claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    config = single["extraFiles"]["nbgrader-config"]
    assert config["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    assert f'c.Exchange.root = "{mount["mountPath"]}"' in config["stringData"]
    assert single["extraEnv"]["LRLAB_EXCHANGE"] == mount["mountPath"]  # the course's nbgrader_config.py reads it
    course_id = re.search(r'course_id = "(\w+)"', (ROOT / "nbgrader_config.py").read_text()).group(1)
    assert f'c.CourseDirectory.course_id = "{course_id}"' in config["stringData"]
    (init,) = single["initContainers"]
    assert init["command"] == ["chmod", "1777", mount["mountPath"]]  # world-writable, sticky
    assert init["volumeMounts"][0]["name"] == volume["name"]


def test_only_instructors_get_the_gradebook_and_never_its_password():
    single = yaml.safe_dump(VALUES["singleuser"])
    assert "LRLAB_DB_URL" not in single and "postgresql" not in single
    env = VALUES["hub"]["config"]["KubeSpawner"]["group_overrides"]["01-instructors"]["spawner_override"]["environment"]
    assert env["LRLAB_DB_URL"] == {"valueFrom": {"secretKeyRef": {"name": "lrlab-gradebook", "key": "url"}}}
    assert "postgresql://" not in yaml.safe_dump(VALUES)  # the URL (and its password) lives in the secret
    assert 'os.environ["LRLAB_DB_URL"]' in (ROOT / "nbgrader_config.py").read_text()


def test_resources_are_set_and_consistent():
    single = VALUES["singleuser"]
    assert 0 < single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    gib = {"G": 1, "M": 1 / 1024}
    memory = {k: float(v[:-1]) * gib[v[-1]] for k, v in single["memory"].items()}
    assert 0 < memory["guarantee"] <= memory["limit"]
    teacher = VALUES["hub"]["config"]["KubeSpawner"]["group_overrides"]["01-instructors"]["spawner_override"]
    assert teacher["cpu_guarantee"] <= teacher["cpu_limit"] and teacher["mem_limit"] >= single["memory"]["limit"]


def test_the_image_is_built_from_the_published_repository_only():
    published = {Path(item.target).parts[0] for item in publish.TREE} | {"README.md"}
    steps = _dockerfile()
    assert steps[0][0] == "FROM" and re.match(r"^[\w./-]+:[\w.-]+ AS instructor$", steps[0][1])
    assert ":latest" not in steps[0][1]
    copied = []
    for op, args in steps:
        assert op != "ADD", "ADD can fetch URLs; COPY from the build context only"
        if op == "COPY":
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            copied += sources
    assert copied and all(Path(s).parts[0] in published for s in copied), copied
    text = (Z2JH / "Dockerfile").read_text()
    for instructor_only in ("autograder", "source/", "bank.json", "tests/"):
        assert not [a for op, a in steps if instructor_only in a], instructor_only
    assert "--file environment.yml" in text  # the pinned environment, nothing else
    assert re.search(r"nbgitpuller==\d+\.\d+\.\d+", text)


def test_the_image_turns_the_news_question_off_and_the_formgrader_off_for_students():
    steps = _dockerfile()
    student_stage = steps.index(next(s for s in steps if s[0] == "FROM" and s[1].endswith("AS student")))
    lab = [(i, a) for i, (op, a) in enumerate(steps) if op == "COPY" and "lab-settings/lrlab.json" in a]
    assert lab and lab[0][0] < student_stage  # both images
    assert lab[0][1].split()[-1] == "/opt/conda/share/jupyter/lab/settings/overrides.d/lrlab.json"
    switches = [a for op, a in steps[student_stage:] if op == "COPY"]
    assert switches == ["jupyter-config/student/ /etc/jupyter/"]
    page = yaml.safe_load((ROOT / "hub" / "user-config" / "student" / "labconfig" / "page_config.json").read_text())
    assert page["disabledExtensions"] == {f"@jupyter/nbgrader:{x}": True for x in ("formgrader", "course-list",
                                                                                  "create-assignment")}


@pytest.mark.parametrize("path", ["values.yaml", "exchange-pvc.yaml", "course-pvc.yaml", "Dockerfile"])
def test_no_network_target_but_loopback_and_no_secret(path):
    text = (Z2JH / path).read_text()
    hosts = re.findall(r"(?:https?|postgresql)://([^/\s'\"]+)", text)
    # besides loopback: the chart's own in-cluster Service of the hub pod, and a bind-all address
    inside = ("127.0.0.1", "localhost", "USER:PASSWORD@HOST", "hub:8080", "0.0.0.0:8080")
    assert all(h.split(":")[0] in ("127.0.0.1", "localhost") or h in inside for h in hosts), hosts
    assert not re.search(r"(password|secret|token)\s*:\s*['\"]?\w{6,}", text, re.IGNORECASE)


def test_the_grading_service_beside_the_hub():
    """Grading on arrival on Zero to JupyterHub: the service registered with the hub (the chart
    generates its API token into its `hub` Secret), a container on the instructor image in the
    hub pod with the exchange where students submit and the course root, its status page
    reachable from the proxy, and students allowed to use it and nothing else of it."""
    from autograder.rules import CourseRules, SERVICE_NAME

    hub, single = VALUES["hub"], VALUES["singleuser"]
    service = hub["services"][SERVICE_NAME]
    (grader,) = [c for c in hub["extraContainers"] if c["name"] == SERVICE_NAME]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in grader["env"]}
    assert env["JUPYTERHUB_API_TOKEN"] == {"secretKeyRef": {"name": "hub", "key": f"hub.services.{SERVICE_NAME}.apiToken"}}
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == f"/services/{SERVICE_NAME}/" == CourseRules().status_url
    assert env["JUPYTERHUB_CLIENT_ID"] == f"service-{SERVICE_NAME}"
    port = int(service["url"].rsplit(":", 1)[1])
    assert env["JUPYTERHUB_SERVICE_URL"].endswith(f":{port}")
    assert grader["ports"][0]["containerPort"] == port == hub["service"]["extraPorts"][0]["targetPort"]
    assert hub["networkPolicy"]["ingress"][0]["ports"] == [{"port": port}]
    assert VALUES["proxy"]["chp"]["networkPolicy"]["egress"][0]["ports"] == [{"port": port}]
    assert hub["loadRoles"]["user"]["scopes"] == ["self", f"access:services!service={SERVICE_NAME}"]
    assert grader["image"] == VALUES["hub"]["config"]["KubeSpawner"]["group_overrides"]["01-instructors"][
        "spawner_override"]["image"]
    assert grader["command"][:3] == ["python", "-m", "autograder"] and grader["command"][-1] == "serve"
    mounts = {m["name"]: m["mountPath"] for m in grader["volumeMounts"]}
    (exchange,) = single["storage"]["extraVolumeMounts"]
    assert mounts[exchange["name"]] == exchange["mountPath"] == env["LRLAB_EXCHANGE"]
    assert grader["workingDir"] == mounts["lrlab-course"] == grader["command"][grader["command"].index("--course") + 1]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in hub["extraVolumes"]}
    course = yaml.safe_load((Z2JH / "course-pvc.yaml").read_text())
    assert claims["lrlab-course"] == course["metadata"]["name"] and course["spec"]["accessModes"] == ["ReadWriteMany"]
    assert "lrlab-course" not in yaml.safe_dump(single)  # students never mount the course
