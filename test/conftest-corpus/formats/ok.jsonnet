local d = import 'lib/deploy.libsonnet';
d.deployment('jsonnet-ok', std.max(3, 2), 'nginx:%s' % '1.27')
