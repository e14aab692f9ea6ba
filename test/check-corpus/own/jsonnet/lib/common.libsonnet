{
  labels(name):: { app: name, tier: 'backend' },
  port:: 8080,
}
