// Files imported `with { type: "file" }` resolve to a path Bun can read (embedded when compiled).
declare module "*.tar.gz" {
  const path: string;
  export default path;
}
