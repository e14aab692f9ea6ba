local m = import 'nosuch.libsonnet';
m
