# Trap: the VPC is in module.net; the aws_default_security_group is in another module, which
# receives the VPC id as a variable (vpc_id = module.net.vpc_id). var.vpc_id is followed to the
# module call's argument and module.net.vpc_id to the output's expression (aws_vpc.main.id):
# the VPC's default group is managed, without rules. No findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "net" {
  source = "./modules/net"
}

module "default_sg" {
  source = "./modules/default-sg"
  vpc_id = module.net.vpc_id
}
