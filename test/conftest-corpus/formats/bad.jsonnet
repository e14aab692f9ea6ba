local d = import 'lib/deploy.libsonnet';
[d.deployment('jsonnet-a', 1, 'nginx:latest'), d.deployment('jsonnet-b', 5, 'nginx:1.27')]
