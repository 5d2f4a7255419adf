# Trap: two levels of modules on both sides. module.env.module.net creates two VPCs;
# module.env passes the first one's id up (output vpc_id = module.net.main_vpc_id), the root
# hands it to module.guard (vpc_id = module.env.vpc_id), which hands it down to
# module.guard.module.default_sg (vpc_id = var.vpc_id), whose aws_default_security_group uses
# var.vpc_id. The chain var -> var -> output -> output links it to
# module.env.module.net.aws_vpc.main only: module.env.module.net.aws_vpc.spare has no default
# group of its own and is flagged.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "env" {
  source = "./env"
}

module "guard" {
  source = "./guard"
  vpc_id = module.env.vpc_id
}
