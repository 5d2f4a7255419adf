# Trap: child modules. module.managed has its VPC's default group managed (no rules);
# module.unmanaged creates a VPC without one, so only module.unmanaged.aws_vpc.main is
# flagged (references resolve relative to each module instance).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "managed" {
  source            = "./modules/network"
  manage_default_sg = true
}

module "unmanaged" {
  source            = "./modules/network"
  manage_default_sg = false
}
