local mk(i) = { kind: 'ConfigMap', metadata: { name: 'cm-%d' % i }, data: { index: std.toString(i) } };
[mk(i) for i in [1, 2, 3]]
