# An aws_iam_access_key with status = "Active" written out, and a key with a PGP key (still a
# long-term key; findings at the start of each change.after).

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

resource "aws_iam_access_key" "ci" {
  user   = aws_iam_user.ci.name
  status = "Active"
}

resource "aws_iam_access_key" "encrypted" {
  user    = aws_iam_user.ci.name
  pgp_key = "keybase:some_person_that_exists"
}
