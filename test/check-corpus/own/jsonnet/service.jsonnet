// locals, functions, std calls, imports relative to this file
local common = import 'lib/common.libsonnet';
local banner = importstr 'lib/banner.txt';
local svc(name, replicas=2) = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: name, labels: common.labels(name) },
  spec: {
    replicas: replicas,
    template: { spec: { containers: [{ name: name, image: 'nginx:%s' % '1.27', ports: [{ containerPort: common.port }] }] } },
  },
};
{
  deployments: [svc('api'), svc('worker', 5)],
  banner: std.stripChars(banner, '\n'),
  upper: std.asciiUpper('abc'),
  joined: std.join(',', ['a', 'b', 'c']),
  squares: [x * x for x in std.range(1, 4)],
  obj: { [k]: std.length(k) for k in ['one', 'three'] },
  ratio: 7 / 2,
  big: 1e21,
  fmt: std.format('%05.2f|%d', [3.14159, 42]),
  manifest: std.manifestJsonEx({ b: 1, a: [true, null] }, '  '),
  sorted: std.sort([3, 1, 2]),
  hidden:: 'never shown',
  merged: { a: 1, b: { c: 2 } } + { b+: { d: 3 } },
}
