{
  deployment(name, replicas, image):: {
    kind: 'Deployment',
    metadata: { name: name },
    spec: { replicas: replicas, template: { spec: { containers: [{ name: name, image: image }] } } },
  },
}
