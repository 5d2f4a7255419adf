# Trap: child module instances and count: resource addresses are
# module.edge["blue"].aws_security_group.admin[0] and so on.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

module "edge" {
  source   = "./modules/admin-sg"
  for_each = toset(["blue", "green"])
  name     = each.key
}
