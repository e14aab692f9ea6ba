local x = import 'nosuch.libsonnet';
x
