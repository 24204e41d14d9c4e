//! Volume mounts and their sources.

use super::*;

#[test]
fn rejects_bad_volumes() {
    check(&[
        (
            "name required",
            |k| mount(k, 0).name = None,
            &[("spec.container.app.volume_mounts[0].name", "Required value")],
        ),
        (
            "name not a label",
            |k| mount(k, 0).name = s("var.log"),
            &[(
                "spec.container.app.volume_mounts[0].name",
                "must not contain dots",
            )],
        ),
        (
            "duplicate name",
            |k| mount(k, 1).name = s("varlog"),
            &[(
                "spec.container.app.volume_mounts[1].name",
                "Duplicate value: \"varlog\"",
            )],
        ),
        (
            "mount path required",
            |k| mount(k, 0).mount_path = None,
            &[(
                "spec.container.app.volume_mounts[0].mount_path",
                "Required value",
            )],
        ),
        (
            "relative mount path",
            |k| mount(k, 0).mount_path = s("var/log"),
            &[(
                "spec.container.app.volume_mounts[0].mount_path",
                "must be an absolute path",
            )],
        ),
        (
            "duplicate mount path",
            |k| mount(k, 2).mount_path = s("/var/log"),
            &[(
                "spec.container.app.volume_mounts[2].mount_path",
                "Invalid value: \"/var/log\": must be unique",
            )],
        ),
        (
            "absolute sub path",
            |k| mount(k, 2).sub_path = s("/data"),
            &[(
                "spec.container.app.volume_mounts[2].sub_path",
                "must be a relative path",
            )],
        ),
        (
            "sub path backstep",
            |k| mount(k, 2).sub_path = s("a/../b"),
            &[(
                "spec.container.app.volume_mounts[2].sub_path",
                "must not contain '..'",
            )],
        ),
        (
            "no source",
            |k| mount(k, 2).empty_dir = None,
            &[(
                "spec.container.app.volume_mounts[2]",
                "Required value: must specify a volume type",
            )],
        ),
        (
            "two sources",
            |k| {
                mount(k, 2).pvc = Some(PvcVolumeSource {
                    claim_name: s("c"),
                    read_only: None,
                })
            },
            &[(
                "spec.container.app.volume_mounts[2].pvc",
                "Forbidden: may not specify more than 1 volume type",
            )],
        ),
        (
            "config map name required",
            |k| mount(k, 1).config_map.as_mut().expect("cm").name = None,
            &[(
                "spec.container.app.volume_mounts[1].config_map.name",
                "Required value",
            )],
        ),
        (
            "config map bad key",
            |k| mount(k, 1).config_map.as_mut().expect("cm").key = s("a/b"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.key",
                "a valid config key",
            )],
        ),
        (
            "config map absolute path",
            |k| mount(k, 1).config_map.as_mut().expect("cm").path = s("/etc/x"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.path",
                "must be a relative path",
            )],
        ),
        (
            "config map dotdot path",
            |k| mount(k, 1).config_map.as_mut().expect("cm").path = s("..x"),
            &[(
                "spec.container.app.volume_mounts[1].config_map.path",
                "must not start with '..'",
            )],
        ),
        (
            "mode too big",
            |k| mount(k, 1).config_map.as_mut().expect("cm").default_mode = Some(0o1000),
            &[(
                "spec.container.app.volume_mounts[1].config_map.default_mode",
                "Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive",
            )],
        ),
        (
            "secret name required",
            |k| {
                let m = mount(k, 1);
                m.config_map = None;
                m.secret = Some(SecretVolumeSource {
                    default_mode: Some(-1),
                    ..Default::default()
                });
            },
            &[
                (
                    "spec.container.app.volume_mounts[1].secret.name",
                    "Required value",
                ),
                (
                    "spec.container.app.volume_mounts[1].secret.default_mode",
                    "Invalid value: -1",
                ),
            ],
        ),
        (
            "host path required",
            |k| mount(k, 0).host_path = Some(HostPathSource::Shorthand(String::new())),
            &[(
                "spec.container.app.volume_mounts[0].host_path.path",
                "Required value",
            )],
        ),
        (
            "host path backstep",
            |k| mount(k, 0).host_path = Some(HostPathSource::Shorthand("/var/../etc".into())),
            &[(
                "spec.container.app.volume_mounts[0].host_path.path",
                "must not contain '..'",
            )],
        ),
        (
            "host path type",
            |k| {
                mount(k, 0).host_path = Some(HostPathSource::Object(HostPathVolumeSource {
                    path: s("/x"),
                    type_: s("Foo"),
                }));
            },
            &[(
                "spec.container.app.volume_mounts[0].host_path.type",
                "Unsupported value: \"Foo\": supported values: \"\", \"BlockDevice\"",
            )],
        ),
        (
            "medium",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").medium = s("Disk"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.medium",
                "supported values: \"\", \"Memory\"",
            )],
        ),
        (
            "size limit syntax",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").size_limit = q("1GB"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.size_limit",
                "quantities must match the regular expression",
            )],
        ),
        (
            "size limit negative",
            |k| mount(k, 2).empty_dir.as_mut().expect("ed").size_limit = q("-1Mi"),
            &[(
                "spec.container.app.volume_mounts[2].empty_dir.size_limit",
                "Forbidden: SizeLimit field must be a valid resource quantity",
            )],
        ),
        (
            "pvc claim required",
            |k| {
                let m = mount(k, 2);
                m.empty_dir = None;
                m.pvc = Some(PvcVolumeSource::default());
            },
            &[(
                "spec.container.app.volume_mounts[2].pvc.claim_name",
                "Required value",
            )],
        ),
    ]);
}
