# A key created in a child module (finding on module.deployer.aws_iam_access_key.this).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_iam_user" "ci" {
  name = "ci-deployer"
}

module "deployer" {
  source = "./deployer"
  user   = aws_iam_user.ci.name
}
