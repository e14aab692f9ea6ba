terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
}
provider "aws" { region = var.region }
variable "region" {
  type    = string
  default = "eu-west-1"
}
locals {
  common_tags = { Team = "platform", Env = terraform.workspace }
  ports       = [80, 443]
}
resource "aws_s3_bucket" "logs" {
  bucket = "logs-${var.region}"
  tags   = local.common_tags
  lifecycle { prevent_destroy = true }
}
resource "aws_security_group" "web" {
  name = "web"
  dynamic "ingress" {
    for_each = local.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
module "vpc" {
  source = "terraform-aws-modules/vpc/aws"
  cidr   = "10.0.0.0/16"
  count  = length(local.ports) > 1 ? 1 : 0
}
output "bucket" { value = aws_s3_bucket.logs.arn }
